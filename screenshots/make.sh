#!/usr/bin/env bash
# Regenerates the screenshots in this folder from the real binary, driven in tmux against the
# replica: progress while fetching, bars, sectors, help, the curve as a line with the cursor,
# the year, the average day, the areas side by side, a day zoomed to its hours, three areas
# pinned, production minus consumption, municipalities found by a filter. Run after
# any change to the TUI:
#   bash screenshots/make.sh
# Needs tmux and python3. Writes NAME.txt (plain text, from tmux) and NAME.svg (colours: saved by
# the explorer itself with `s`, the same renderer users get) per picture.
set -euo pipefail
cd "$(dirname "$0")/.."
out=screenshots
cols=120 rows=34
cargo build --release --quiet
bin=$PWD/target/release/elhub-explorer
work=$(mktemp -d)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
sock=elhub-shots-$$
cleanup() {
  tmux -L "$sock" kill-server 2>/dev/null || true
  sleep 1 # a new session on a server still going away fails ("server exited unexpectedly")
  kill "$replica" "${fast:-}" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

# A slow replica with some 503s, so the fetch is caught in progress with retries showing.
"$bin" replica --listen "127.0.0.1:$port" --latency-ms 900 --faults 503 --fault-every 3 2>/dev/null &
replica=$!
sleep 0.5

tmux -L "$sock" new-session -d -s s -x $cols -y $rows \
  "cd $work && env HOME=$work XDG_STATE_HOME=$work/state XDG_DATA_HOME=$work/d1 TERM=xterm-256color $bin --api-url http://127.0.0.1:$port --year 2021 --concurrency 3; sleep 60"

shot() { # name: the text from tmux, the picture saved by the explorer (s), its CSVs dropped
  tmux -L "$sock" capture-pane -p -t s > "$out/$1.txt"
  rm -f "$work"/elhub-*
  tmux -L "$sock" send-keys -t s s
  for _ in $(seq 1 100); do ls "$work"/elhub-*.svg >/dev/null 2>&1 && break; sleep 0.1; done
  mv "$(ls "$work"/elhub-*.svg | head -1)" "$out/$1.svg"
  rm -f "$work"/elhub-*
}
wait_for() { # text
  for _ in $(seq 1 1200); do
    tmux -L "$sock" capture-pane -p -t s | grep -qF "$1" && return 0
    sleep 0.1
  done
  echo "screenshots: timed out waiting for '$1'" >&2; exit 1
}

wait_for "retry 1"
wait_for "2021-01 ✓"
shot progress
wait_for "Fetched production"
tmux -L "$sock" send-keys -t s 2 h h h h h h
wait_for "Hourly · NO2 Kristiansand hydro · Jun 2021"
shot bars
tmux -L "$sock" send-keys -t s 3 b g
wait_for "NO3 Trondheim · sectors"
wait_for "NO3 Trondheim wind"
shot sectors
tmux -L "$sock" send-keys -t s '?'
wait_for "Esc closes"
shot help
tmux -L "$sock" send-keys -t s Escape q
tmux -L "$sock" kill-server 2>/dev/null || true
  sleep 1 # a new session on a server still going away fails ("server exited unexpectedly")

# The analyst's views on two years of production: the curve as a line with the cursor, the
# year, the average day, the areas side by side against the year before.
fast_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$bin" replica --listen "127.0.0.1:$fast_port" 2>/dev/null &
fast=$!
sleep 0.5
tmux -L "$sock" new-session -d -s s -x $cols -y $rows \
  "cd $work && env HOME=$work XDG_STATE_HOME=$work/state2 XDG_DATA_HOME=$work/d2 TERM=xterm-256color $bin --api-url http://127.0.0.1:$fast_port --from 2021-01 --to 2022-12; sleep 60"
wait_for "Fetched production"
tmux -L "$sock" send-keys -t s 5 : 2 0 2 2 - 0 6 Enter
wait_for "Hourly · NO5 Bergen hydro · Jun 2022"
tmux -L "$sock" send-keys -t s c ']' ']' ']' ']' ']' ']'
wait_for " · day "
shot curve
tmux -L "$sock" send-keys -t s Escape v
wait_for "Daily · NO5 Bergen hydro · 2022"
shot year
tmux -L "$sock" send-keys -t s v
wait_for "Average day · NO5 Bergen hydro"
shot profile
tmux -L "$sock" send-keys -t s v a
wait_for "hydro by price area · side by side"
wait_for "NO2 Kristiansand"
shot compare
# Down to the hour: the day summer time ends, the cursor on its second 02:00.
tmux -L "$sock" send-keys -t s a c : 2022-10-30 Enter
wait_for "Sun 30 Oct 2022 (25 h)"
tmux -L "$sock" send-keys -t s ']' ']' ']'
wait_for "hour 4 of 25"
shot zoom
# Three areas side by side: NO1 and NO2 pinned beside NO5.
tmux -L "$sock" send-keys -t s Escape
sleep 0.3
tmux -L "$sock" send-keys -t s Escape
sleep 0.3
tmux -L "$sock" send-keys -t s 1 p 2 p 5
wait_for "NO2 Kristiansand total"
shot pins
# Production minus consumption of NO2, all groups: the area's net export.
tmux -L "$sock" send-keys -t s P d r
wait_for "Fetched consumption"
tmux -L "$sock" send-keys -t s D 2 : 'all groups' Enter
wait_for "NO2 Kristiansand all groups"
tmux -L "$sock" send-keys -t s p d : 'all groups' Enter
wait_for "Totals · consumption 2022"
tmux -L "$sock" send-keys -t s p =
wait_for "production − consumption"
shot net
tmux -L "$sock" send-keys -t s q
tmux -L "$sock" kill-server 2>/dev/null || true
  sleep 1 # a new session on a server still going away fails ("server exited unexpectedly")

# Municipalities: a month fetched a day at a time, then found by typing.
tmux -L "$sock" new-session -d -s s -x $cols -y $rows \
  "cd $work && env HOME=$work XDG_STATE_HOME=$work/state3 XDG_DATA_HOME=$work/d3 TERM=xterm-256color $bin --api-url http://127.0.0.1:$fast_port --dataset consumption-municipality --from 2024-01 --to 2024-01; sleep 60"
wait_for "2024-01 ✓"
tmux -L "$sock" send-keys -t s / t r o m s o
wait_for "/tromso_"
tmux -L "$sock" send-keys -t s Enter
wait_for "Hourly · 5501 Tromsø private"
wait_for ">private"
wait_for "mean "
shot municipalities
tmux -L "$sock" send-keys -t s q
echo "screenshots: wrote $(ls $out/*.svg | tr '\n' ' ')"
