-- Acceptance-test database (the role of Airbyte's acceptance.py): three
-- Radar tables with hand-checked rows, and one empty table. Loaded into the
-- database named in secrets/config.json by integration_tests/acceptance.
DROP TABLE IF EXISTS store, vouchers, campaign_log, empty_table;
CREATE TABLE store (
  Id INT NOT NULL PRIMARY KEY,
  CNPJ VARCHAR(20) NOT NULL,
  Name VARCHAR(255) NOT NULL,
  Revenue DECIMAL(15,2) NOT NULL,
  Active TINYINT(1) NOT NULL,
  Opening_Date DATE NULL,
  Modified_At DATETIME(6) NOT NULL,
  Created_At TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP
);
INSERT INTO store VALUES
  (1, '00.485.780/0014-30', 'Nissei Moema - Loja 1', 1234567.89, 1, '2015-06-01', '2024-01-02 03:04:05.123456', '2023-03-30 12:34:56'),
  (2, '12.345.678/0001-90', 'Farmácia São João ✓', 0.00, 0, NULL, '2024-01-03 10:00:00.000000', '2023-03-30 12:35:00'),
  (3, '98.765.432/0001-10', 'Drogaria "Central"', -15.50, 1, '2020-02-29', '2024-02-01 00:00:00.500000', '2023-03-31 08:00:00');
CREATE TABLE vouchers (
  code CHAR(12) NOT NULL PRIMARY KEY,
  store_id INT NULL,
  value DECIMAL(8,2) NOT NULL,
  tags SET('promo','pbm','app') NULL,
  created_at DATETIME NOT NULL
);
INSERT INTO vouchers VALUES
  ('V00001000001', 1, 10.00, 'promo', '2024-01-01 00:00:00'),
  ('V00002000002', NULL, 25.50, 'pbm,app', '2024-01-05 12:00:00'),
  ('V00003000003', 3, 5.25, NULL, '2024-01-05 12:00:00');
CREATE TABLE campaign_log (
  campaign VARCHAR(40) NOT NULL,
  message VARCHAR(255) NOT NULL,
  logged_at DATETIME NOT NULL
);
INSERT INTO campaign_log VALUES
  ('camp-1', 'envio concluído', '2024-01-01 08:00:00'),
  ('camp-2', 'falha no envio', '2024-01-02 09:30:00');
CREATE TABLE empty_table (id INT NOT NULL PRIMARY KEY, note VARCHAR(10) NULL);
