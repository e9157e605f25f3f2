# shellcheck shell=bash
# scripts/lib/pg_url.sh — libpq connection strings. Sourced; defines ow_pg_url_with_db.

# ow_pg_url_with_db URL DBNAME: the same server and options, naming database DBNAME.
# Works for URLs (postgresql://user@host:port/db?opts, including the socket form
# postgresql:///db?host=/dir) and for key=value strings (a later dbname= wins).
ow_pg_url_with_db() {
  local url=$1 db=$2
  case $url in
  postgres://* | postgresql://*)
    local scheme=${url%%://*} rest=${url#*://} query=""
    if [[ $rest == *\?* ]]; then
      query="?${rest#*\?}"
      rest=${rest%%\?*}
    fi
    local authority=${rest%%/*}
    printf '%s://%s/%s%s\n' "$scheme" "$authority" "$db" "$query"
    ;;
  *) printf '%s dbname=%s\n' "$url" "$db" ;;
  esac
}
