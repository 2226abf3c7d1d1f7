-- Parquet on S3 (moto), read with the dbt_s3 secret.
select id, amount, label
from read_parquet('{{ env_var("YS_S3_ORDERS") }}')
