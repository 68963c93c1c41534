module github.com/cognitivo/radar-connectors/source-mysql-radar

go 1.26
