module github.com/cognitivo/radar-connectors/integration_tests

go 1.26
