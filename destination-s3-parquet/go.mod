module github.com/cognitivo/radar-connectors/destination-s3-parquet

go 1.26

require github.com/cognitivo/radar-connectors/protocol v0.0.0

replace github.com/cognitivo/radar-connectors/protocol => ../protocol
