# Sourced by the benchmark scripts, from the repository's root: builds the release binary once
# ($bin), makes a temporary directory ($work) and starts the local replica without a rate limit
# on a free port ($url). At exit the replica is stopped, the script's own `on_exit` (if it
# defines one before sourcing this) runs, and $work goes.
cargo build --release --quiet
bin=$PWD/target/release/elhub-explorer
work=$(mktemp -d)
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
port=$(free_port)
"$bin" replica --listen "127.0.0.1:$port" 2>/dev/null &
replica=$!
bench_exit() {
  kill "$replica" 2>/dev/null || true
  if declare -F on_exit >/dev/null; then on_exit; fi
  rm -rf "$work"
}
trap bench_exit EXIT
sleep 0.5
url="http://127.0.0.1:$port"
