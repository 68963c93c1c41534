module github.com/cognitivo/radar-connectors/integration_tests

go 1.26

require github.com/cognitivo/radar-connectors/protocol v0.0.0

replace github.com/cognitivo/radar-connectors/protocol => ../protocol
