-- A PostgreSQL table, through the ATTACH that uses the dbt_pg secret.
select id, name
from {{ source('pg', 'people') }}
