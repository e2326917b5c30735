# Shared helpers for scripts/pg.sh and scripts/azurite.sh (sourced, not run).

# Prints a TCP port that nothing listens on (loopback), chosen at random so parallel runs rarely collide.
free_port() {
  local port
  for _ in $(seq 1 200); do
    port=$((20000 + RANDOM % 40000))
    if ! ss -Htln "sport = :${port}" | grep -q .; then
      echo "$port"
      return 0
    fi
  done
  echo "no free port found" >&2
  return 1
}

# Waits until something listens on 127.0.0.1:$1, at most $2 seconds.
wait_for_port() {
  local port=$1 deadline=$((SECONDS + $2))
  while ((SECONDS < deadline)); do
    if ss -Htln "sport = :${port}" | grep -q .; then
      return 0
    fi
    sleep 0.2
  done
  echo "nothing listens on port ${port} after $2 s" >&2
  return 1
}
