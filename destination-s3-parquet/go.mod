module github.com/cognitivo/radar-connectors/destination-s3-parquet

go 1.26
