-- stream store: table store
CREATE EXTERNAL TABLE `bronze_radar`.`store` (
  `_airbyte_raw_id` string,
  `_airbyte_extracted_at` timestamp,
  `_airbyte_generation_id` bigint,
  `_airbyte_meta` struct<`sync_id`:bigint,`changes`:array<struct<`field`:string,`change`:string,`reason`:string>>>,
  `Id` bigint,
  `CNPJ` string,
  `Company_Name` string,
  `Name` string,
  `Status` bigint,
  `Brand` bigint,
  `Created_At` timestamp,
  `Modified_At` timestamp,
  `Email` string,
  `Phone` string,
  `Revenue` decimal(15,2),
  `Active` boolean,
  `Address` string,
  `Neighborhood` string,
  `City` string,
  `State` string,
  `Zip_Code` string,
  `Latitude` double,
  `Longitude` double,
  `Opening_Date` date,
  `Manager_Id` bigint,
  `External_Code` string,
  `Notes` string,
  `Deleted_At` timestamp
)
PARTITIONED BY (
  `cog_dt_ingestion` string
)
STORED AS PARQUET
LOCATION 's3://cognitivo-datalake/origin=airbyte/database=bronze_radar/store/'
TBLPROPERTIES (
  'projection.enabled'='true',
  'projection.cog_dt_ingestion.type'='date',
  'projection.cog_dt_ingestion.format'='yyyy-MM-dd',
  'projection.cog_dt_ingestion.range'='2023-01-01,NOW',
  'projection.cog_dt_ingestion.interval'='1',
  'projection.cog_dt_ingestion.interval.unit'='DAYS',
  'storage.location.template'='s3://cognitivo-datalake/origin=airbyte/database=bronze_radar/store/cog_dt_ingestion=${cog_dt_ingestion}/'
);

-- stream store_metrics: table store_metrics
CREATE EXTERNAL TABLE `bronze_radar`.`store_metrics` (
  `_airbyte_raw_id` string,
  `_airbyte_extracted_at` timestamp,
  `_airbyte_generation_id` bigint,
  `_airbyte_meta` struct<`sync_id`:bigint,`changes`:array<struct<`field`:string,`change`:string,`reason`:string>>>,
  `store_id` bigint,
  `metric_date` date,
  `visits` bigint,
  `sales_count` bigint,
  `revenue` decimal(18,4),
  `conversion` double,
  `avg_ticket` double,
  `updated_at` timestamp
)
PARTITIONED BY (
  `cog_dt_ingestion` string
)
STORED AS PARQUET
LOCATION 's3://cognitivo-datalake/origin=airbyte/database=bronze_radar/store_metrics/'
TBLPROPERTIES (
  'projection.enabled'='true',
  'projection.cog_dt_ingestion.type'='date',
  'projection.cog_dt_ingestion.format'='yyyy-MM-dd',
  'projection.cog_dt_ingestion.range'='2023-01-01,NOW',
  'projection.cog_dt_ingestion.interval'='1',
  'projection.cog_dt_ingestion.interval.unit'='DAYS',
  'storage.location.template'='s3://cognitivo-datalake/origin=airbyte/database=bronze_radar/store_metrics/cog_dt_ingestion=${cog_dt_ingestion}/'
);

-- stream brand_metrics_average: table brand_metrics_average
CREATE EXTERNAL TABLE `bronze_radar`.`brand_metrics_average` (
  `_airbyte_raw_id` string,
  `_airbyte_extracted_at` timestamp,
  `_airbyte_generation_id` bigint,
  `_airbyte_meta` struct<`sync_id`:bigint,`changes`:array<struct<`field`:string,`change`:string,`reason`:string>>>,
  `brand` string,
  `stores` bigint,
  `avg_revenue` decimal(20,6),
  `share` double,
  `computed_at` timestamp
)
PARTITIONED BY (
  `cog_dt_ingestion` string
)
STORED AS PARQUET
LOCATION 's3://cognitivo-datalake/origin=airbyte/database=bronze_radar/brand_metrics_average/'
TBLPROPERTIES (
  'projection.enabled'='true',
  'projection.cog_dt_ingestion.type'='date',
  'projection.cog_dt_ingestion.format'='yyyy-MM-dd',
  'projection.cog_dt_ingestion.range'='2023-01-01,NOW',
  'projection.cog_dt_ingestion.interval'='1',
  'projection.cog_dt_ingestion.interval.unit'='DAYS',
  'storage.location.template'='s3://cognitivo-datalake/origin=airbyte/database=bronze_radar/brand_metrics_average/cog_dt_ingestion=${cog_dt_ingestion}/'
);

-- stream product: table product
CREATE EXTERNAL TABLE `bronze_radar`.`product` (
  `_airbyte_raw_id` string,
  `_airbyte_extracted_at` timestamp,
  `_airbyte_generation_id` bigint,
  `_airbyte_meta` struct<`sync_id`:bigint,`changes`:array<struct<`field`:string,`change`:string,`reason`:string>>>,
  `id` bigint,
  `ean` string,
  `name` string,
  `laboratory` string,
  `description` string,
  `price` decimal(10,2),
  `pmc` decimal(10,2),
  `controlled` boolean,
  `category` string,
  `created_at` timestamp,
  `updated_at` timestamp
)
PARTITIONED BY (
  `cog_dt_ingestion` string
)
STORED AS PARQUET
LOCATION 's3://cognitivo-datalake/origin=airbyte/database=bronze_radar/product/'
TBLPROPERTIES (
  'projection.enabled'='true',
  'projection.cog_dt_ingestion.type'='date',
  'projection.cog_dt_ingestion.format'='yyyy-MM-dd',
  'projection.cog_dt_ingestion.range'='2023-01-01,NOW',
  'projection.cog_dt_ingestion.interval'='1',
  'projection.cog_dt_ingestion.interval.unit'='DAYS',
  'storage.location.template'='s3://cognitivo-datalake/origin=airbyte/database=bronze_radar/product/cog_dt_ingestion=${cog_dt_ingestion}/'
);

-- stream product_pbm: table product_pbm
CREATE EXTERNAL TABLE `bronze_radar`.`product_pbm` (
  `_airbyte_raw_id` string,
  `_airbyte_extracted_at` timestamp,
  `_airbyte_generation_id` bigint,
  `_airbyte_meta` struct<`sync_id`:bigint,`changes`:array<struct<`field`:string,`change`:string,`reason`:string>>>,
  `product_id` bigint,
  `program` string,
  `discount_pct` decimal(5,2),
  `max_units` bigint,
  `valid_from` date,
  `valid_to` date
)
PARTITIONED BY (
  `cog_dt_ingestion` string
)
STORED AS PARQUET
LOCATION 's3://cognitivo-datalake/origin=airbyte/database=bronze_radar/product_pbm/'
TBLPROPERTIES (
  'projection.enabled'='true',
  'projection.cog_dt_ingestion.type'='date',
  'projection.cog_dt_ingestion.format'='yyyy-MM-dd',
  'projection.cog_dt_ingestion.range'='2023-01-01,NOW',
  'projection.cog_dt_ingestion.interval'='1',
  'projection.cog_dt_ingestion.interval.unit'='DAYS',
  'storage.location.template'='s3://cognitivo-datalake/origin=airbyte/database=bronze_radar/product_pbm/cog_dt_ingestion=${cog_dt_ingestion}/'
);

-- stream contest: table contest
CREATE EXTERNAL TABLE `bronze_radar`.`contest` (
  `_airbyte_raw_id` string,
  `_airbyte_extracted_at` timestamp,
  `_airbyte_generation_id` bigint,
  `_airbyte_meta` struct<`sync_id`:bigint,`changes`:array<struct<`field`:string,`change`:string,`reason`:string>>>,
  `id` bigint,
  `title` string,
  `starts_at` timestamp,
  `ends_at` timestamp,
  `rules` string,
  `prize_pool` decimal(12,2),
  `status` string,
  `year` bigint
)
PARTITIONED BY (
  `cog_dt_ingestion` string
)
STORED AS PARQUET
LOCATION 's3://cognitivo-datalake/origin=airbyte/database=bronze_radar/contest/'
TBLPROPERTIES (
  'projection.enabled'='true',
  'projection.cog_dt_ingestion.type'='date',
  'projection.cog_dt_ingestion.format'='yyyy-MM-dd',
  'projection.cog_dt_ingestion.range'='2023-01-01,NOW',
  'projection.cog_dt_ingestion.interval'='1',
  'projection.cog_dt_ingestion.interval.unit'='DAYS',
  'storage.location.template'='s3://cognitivo-datalake/origin=airbyte/database=bronze_radar/contest/cog_dt_ingestion=${cog_dt_ingestion}/'
);

-- stream contest_score: table contest_score
CREATE EXTERNAL TABLE `bronze_radar`.`contest_score` (
  `_airbyte_raw_id` string,
  `_airbyte_extracted_at` timestamp,
  `_airbyte_generation_id` bigint,
  `_airbyte_meta` struct<`sync_id`:bigint,`changes`:array<struct<`field`:string,`change`:string,`reason`:string>>>,
  `id` decimal(20,0),
  `contest_id` bigint,
  `store_id` bigint,
  `score` bigint,
  `position` bigint,
  `scored_at` timestamp
)
PARTITIONED BY (
  `cog_dt_ingestion` string
)
STORED AS PARQUET
LOCATION 's3://cognitivo-datalake/origin=airbyte/database=bronze_radar/contest_score/'
TBLPROPERTIES (
  'projection.enabled'='true',
  'projection.cog_dt_ingestion.type'='date',
  'projection.cog_dt_ingestion.format'='yyyy-MM-dd',
  'projection.cog_dt_ingestion.range'='2023-01-01,NOW',
  'projection.cog_dt_ingestion.interval'='1',
  'projection.cog_dt_ingestion.interval.unit'='DAYS',
  'storage.location.template'='s3://cognitivo-datalake/origin=airbyte/database=bronze_radar/contest_score/cog_dt_ingestion=${cog_dt_ingestion}/'
);

-- stream vouchers: table vouchers
CREATE EXTERNAL TABLE `bronze_radar`.`vouchers` (
  `_airbyte_raw_id` string,
  `_airbyte_extracted_at` timestamp,
  `_airbyte_generation_id` bigint,
  `_airbyte_meta` struct<`sync_id`:bigint,`changes`:array<struct<`field`:string,`change`:string,`reason`:string>>>,
  `code` string,
  `store_id` bigint,
  `user_cpf` string,
  `value` decimal(8,2),
  `redeemed` boolean,
  `redeemed_at` timestamp,
  `expires_on` date,
  `tags` string,
  `created_at` timestamp
)
PARTITIONED BY (
  `cog_dt_ingestion` string
)
STORED AS PARQUET
LOCATION 's3://cognitivo-datalake/origin=airbyte/database=bronze_radar/vouchers/'
TBLPROPERTIES (
  'projection.enabled'='true',
  'projection.cog_dt_ingestion.type'='date',
  'projection.cog_dt_ingestion.format'='yyyy-MM-dd',
  'projection.cog_dt_ingestion.range'='2023-01-01,NOW',
  'projection.cog_dt_ingestion.interval'='1',
  'projection.cog_dt_ingestion.interval.unit'='DAYS',
  'storage.location.template'='s3://cognitivo-datalake/origin=airbyte/database=bronze_radar/vouchers/cog_dt_ingestion=${cog_dt_ingestion}/'
);

-- stream user_access: table user_access
CREATE EXTERNAL TABLE `bronze_radar`.`user_access` (
  `_airbyte_raw_id` string,
  `_airbyte_extracted_at` timestamp,
  `_airbyte_generation_id` bigint,
  `_airbyte_meta` struct<`sync_id`:bigint,`changes`:array<struct<`field`:string,`change`:string,`reason`:string>>>,
  `id` bigint,
  `user_name` string,
  `email` string,
  `ip` binary,
  `user_agent` string,
  `accessed_at` timestamp,
  `duration` string,
  `success` boolean
)
PARTITIONED BY (
  `cog_dt_ingestion` string
)
STORED AS PARQUET
LOCATION 's3://cognitivo-datalake/origin=airbyte/database=bronze_radar/user_access/'
TBLPROPERTIES (
  'projection.enabled'='true',
  'projection.cog_dt_ingestion.type'='date',
  'projection.cog_dt_ingestion.format'='yyyy-MM-dd',
  'projection.cog_dt_ingestion.range'='2023-01-01,NOW',
  'projection.cog_dt_ingestion.interval'='1',
  'projection.cog_dt_ingestion.interval.unit'='DAYS',
  'storage.location.template'='s3://cognitivo-datalake/origin=airbyte/database=bronze_radar/user_access/cog_dt_ingestion=${cog_dt_ingestion}/'
);

-- stream store_document: table store_document
CREATE EXTERNAL TABLE `bronze_radar`.`store_document` (
  `_airbyte_raw_id` string,
  `_airbyte_extracted_at` timestamp,
  `_airbyte_generation_id` bigint,
  `_airbyte_meta` struct<`sync_id`:bigint,`changes`:array<struct<`field`:string,`change`:string,`reason`:string>>>,
  `id` bigint,
  `store_id` bigint,
  `kind` string,
  `file_name` string,
  `sha256` binary,
  `content` binary,
  `size_bytes` bigint,
  `uploaded_at` timestamp
)
PARTITIONED BY (
  `cog_dt_ingestion` string
)
STORED AS PARQUET
LOCATION 's3://cognitivo-datalake/origin=airbyte/database=bronze_radar/store_document/'
TBLPROPERTIES (
  'projection.enabled'='true',
  'projection.cog_dt_ingestion.type'='date',
  'projection.cog_dt_ingestion.format'='yyyy-MM-dd',
  'projection.cog_dt_ingestion.range'='2023-01-01,NOW',
  'projection.cog_dt_ingestion.interval'='1',
  'projection.cog_dt_ingestion.interval.unit'='DAYS',
  'storage.location.template'='s3://cognitivo-datalake/origin=airbyte/database=bronze_radar/store_document/cog_dt_ingestion=${cog_dt_ingestion}/'
);

-- stream transacoes: table transacoes
CREATE EXTERNAL TABLE `bronze_radar`.`transacoes` (
  `_airbyte_raw_id` string,
  `_airbyte_extracted_at` timestamp,
  `_airbyte_generation_id` bigint,
  `_airbyte_meta` struct<`sync_id`:bigint,`changes`:array<struct<`field`:string,`change`:string,`reason`:string>>>,
  `id` bigint,
  `store_id` bigint,
  `product_id` bigint,
  `quantidade` bigint,
  `valor_unitario` decimal(10,2),
  `valor_total` decimal(12,2),
  `desconto` decimal(5,4),
  `pago` boolean,
  `forma_pagamento` string,
  `criado_em` timestamp,
  `atualizado_em` timestamp
)
PARTITIONED BY (
  `cog_dt_ingestion` string
)
STORED AS PARQUET
LOCATION 's3://cognitivo-datalake/origin=airbyte/database=bronze_radar/transacoes/'
TBLPROPERTIES (
  'projection.enabled'='true',
  'projection.cog_dt_ingestion.type'='date',
  'projection.cog_dt_ingestion.format'='yyyy-MM-dd',
  'projection.cog_dt_ingestion.range'='2023-01-01,NOW',
  'projection.cog_dt_ingestion.interval'='1',
  'projection.cog_dt_ingestion.interval.unit'='DAYS',
  'storage.location.template'='s3://cognitivo-datalake/origin=airbyte/database=bronze_radar/transacoes/cog_dt_ingestion=${cog_dt_ingestion}/'
);

-- stream transacoes (append_dedup): view transacoes_latest, the newest version of each primary key
CREATE OR REPLACE VIEW "bronze_radar"."transacoes_latest" AS
SELECT "_airbyte_raw_id", "_airbyte_extracted_at", "_airbyte_generation_id", "_airbyte_meta", "id", "store_id", "product_id", "quantidade", "valor_unitario", "valor_total", "desconto", "pago", "forma_pagamento", "criado_em", "atualizado_em", "cog_dt_ingestion"
FROM (
  SELECT *, ROW_NUMBER() OVER (PARTITION BY "id" ORDER BY "atualizado_em" DESC NULLS LAST, "_airbyte_extracted_at" DESC) AS "_airbyte_row_number"
  FROM "bronze_radar"."transacoes"
) AS versions
WHERE "_airbyte_row_number" = 1;

