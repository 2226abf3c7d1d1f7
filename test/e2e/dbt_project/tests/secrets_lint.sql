-- Lint: fails when the secrets file has an error (secrets_check returns one row per finding).
select *
from secrets_check('{{ env_var("YS_LINT_FILE", env_var("YS_SECRETS_FILE")) }}')
where severity = 'error'
