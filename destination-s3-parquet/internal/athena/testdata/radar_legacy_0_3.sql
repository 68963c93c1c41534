-- stream store: table store
CREATE EXTERNAL TABLE `bronze_radar`.`store` (
  `_airbyte_ab_id` string,
  `_airbyte_emitted_at` timestamp,
  `Id` bigint,
  `CNPJ` string,
  `Company_Name` string,
  `Name` string,
  `Status` bigint,
  `Brand` bigint,
  `Created_At` struct<`member0`:timestamp,`member1`:string>,
  `Modified_At` struct<`member0`:timestamp,`member1`:string>,
  `Email` string,
  `Phone` string,
  `Revenue` double,
  `Active` boolean,
  `Address` string,
  `Neighborhood` string,
  `City` string,
  `State` string,
  `Zip_Code` string,
  `Latitude` double,
  `Longitude` double,
  `Opening_Date` struct<`member0`:date,`member1`:string>,
  `Manager_Id` bigint,
  `External_Code` string,
  `Notes` string,
  `Deleted_At` struct<`member0`:timestamp,`member1`:string>,
  `_airbyte_additional_properties` map<string,string>
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
  `_airbyte_ab_id` string,
  `_airbyte_emitted_at` timestamp,
  `store_id` bigint,
  `metric_date` struct<`member0`:date,`member1`:string>,
  `visits` bigint,
  `sales_count` bigint,
  `revenue` double,
  `conversion` double,
  `avg_ticket` double,
  `updated_at` struct<`member0`:timestamp,`member1`:string>,
  `_airbyte_additional_properties` map<string,string>
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
  `_airbyte_ab_id` string,
  `_airbyte_emitted_at` timestamp,
  `brand` string,
  `stores` bigint,
  `avg_revenue` double,
  `share` double,
  `computed_at` struct<`member0`:timestamp,`member1`:string>,
  `_airbyte_additional_properties` map<string,string>
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
  `_airbyte_ab_id` string,
  `_airbyte_emitted_at` timestamp,
  `id` bigint,
  `ean` string,
  `name` string,
  `laboratory` string,
  `description` string,
  `price` double,
  `pmc` double,
  `controlled` boolean,
  `category` string,
  `created_at` struct<`member0`:timestamp,`member1`:string>,
  `updated_at` struct<`member0`:timestamp,`member1`:string>,
  `_airbyte_additional_properties` map<string,string>
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
  `_airbyte_ab_id` string,
  `_airbyte_emitted_at` timestamp,
  `product_id` bigint,
  `program` string,
  `discount_pct` double,
  `max_units` bigint,
  `valid_from` struct<`member0`:date,`member1`:string>,
  `valid_to` struct<`member0`:date,`member1`:string>,
  `_airbyte_additional_properties` map<string,string>
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
  `_airbyte_ab_id` string,
  `_airbyte_emitted_at` timestamp,
  `id` bigint,
  `title` string,
  `starts_at` struct<`member0`:timestamp,`member1`:string>,
  `ends_at` struct<`member0`:timestamp,`member1`:string>,
  `rules` string,
  `prize_pool` double,
  `status` string,
  `year` bigint,
  `_airbyte_additional_properties` map<string,string>
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
  `_airbyte_ab_id` string,
  `_airbyte_emitted_at` timestamp,
  `id` bigint,
  `contest_id` bigint,
  `store_id` bigint,
  `score` bigint,
  `position` bigint,
  `scored_at` struct<`member0`:timestamp,`member1`:string>,
  `_airbyte_additional_properties` map<string,string>
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
  `_airbyte_ab_id` string,
  `_airbyte_emitted_at` timestamp,
  `code` string,
  `store_id` bigint,
  `user_cpf` string,
  `value` double,
  `redeemed` boolean,
  `redeemed_at` struct<`member0`:timestamp,`member1`:string>,
  `expires_on` struct<`member0`:date,`member1`:string>,
  `tags` string,
  `created_at` struct<`member0`:timestamp,`member1`:string>,
  `_airbyte_additional_properties` map<string,string>
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
  `_airbyte_ab_id` string,
  `_airbyte_emitted_at` timestamp,
  `id` bigint,
  `user_name` string,
  `email` string,
  `ip` string,
  `user_agent` string,
  `accessed_at` struct<`member0`:timestamp,`member1`:string>,
  `duration` struct<`member0`:string,`member1`:string>,
  `success` boolean,
  `_airbyte_additional_properties` map<string,string>
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
  `_airbyte_ab_id` string,
  `_airbyte_emitted_at` timestamp,
  `id` bigint,
  `store_id` bigint,
  `kind` string,
  `file_name` string,
  `sha256` string,
  `content` string,
  `size_bytes` bigint,
  `uploaded_at` struct<`member0`:timestamp,`member1`:string>,
  `_airbyte_additional_properties` map<string,string>
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
  `_airbyte_ab_id` string,
  `_airbyte_emitted_at` timestamp,
  `id` bigint,
  `store_id` bigint,
  `product_id` bigint,
  `quantidade` bigint,
  `valor_unitario` double,
  `valor_total` double,
  `desconto` double,
  `pago` boolean,
  `forma_pagamento` string,
  `criado_em` struct<`member0`:timestamp,`member1`:string>,
  `atualizado_em` struct<`member0`:timestamp,`member1`:string>,
  `_airbyte_additional_properties` map<string,string>
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
SELECT "_airbyte_ab_id", "_airbyte_emitted_at", "id", "store_id", "product_id", "quantidade", "valor_unitario", "valor_total", "desconto", "pago", "forma_pagamento", "criado_em", "atualizado_em", "_airbyte_additional_properties", "cog_dt_ingestion"
FROM (
  SELECT *, ROW_NUMBER() OVER (PARTITION BY "id" ORDER BY "atualizado_em" DESC NULLS LAST, "_airbyte_emitted_at" DESC) AS "_airbyte_row_number"
  FROM "bronze_radar"."transacoes"
) AS versions
WHERE "_airbyte_row_number" = 1;

