#!/usr/bin/env bash
# Runs the demos as a user would, on 127.0.0.1 with ports picked by the
# servers (--port 0), no outside network: the seed's examples in coroutine
# style, then the same examples in actor style (*_actor):
#   tcp_echo_server + tcp_echo_client, http_server (which reads in push
#   mode) + print_http_headers, over HTTP and HTTPS (a throwaway
#   certificate), wait_for_data; then the chat demo over three processes
#   (a room node and two front nodes) with scripted clients.
# Usage: demos/run_demos.sh <directory with the built demos>   (make demo)
# Exits non-zero if any step failed; the servers are stopped by PID (SIGTERM,
# they must exit 0) on every path out, errors included.

set -u

demo_dir=${1:-build/demos}
step_timeout=20   # seconds for each client demo
start_timeout=10  # seconds for a server's "Serving on" line
stop_timeout=10   # seconds for a server to exit after SIGTERM

failures=0
server_pids=()
client_pid=
work=$(mktemp -d "${TMPDIR:-/tmp}/actorstreams-demos.XXXXXX") || exit 1

# Stops the servers still running (an error path); a server stop_server has
# waited for is no longer listed, so a reused PID is never signalled.
cleanup() {
  local pid
  [[ -n $client_pid ]] && kill -TERM "$client_pid" 2>/dev/null
  for pid in ${server_pids[@]+"${server_pids[@]}"}; do
    if kill -0 "$pid" 2>/dev/null; then
      kill -TERM "$pid" 2>/dev/null
      for _ in $(seq 1 50); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
      done
      kill -KILL "$pid" 2>/dev/null
    fi
  done
  rm -rf "$work"
}
trap cleanup EXIT
trap 'echo "run_demos: interrupted" >&2; exit 130' INT TERM

heading() {
  printf '\n==> %s\n' "$*"
}

fail() {
  echo "run_demos: FAILED: $*" >&2
  failures=$((failures + 1))
}

examples=(tcp_echo_server tcp_echo_client print_http_headers wait_for_data)
for demo in http_server chat "${examples[@]}" "${examples[@]/%/_actor}"; do
  if [[ ! -x "$demo_dir/$demo" ]]; then
    echo "run_demos: $demo_dir/$demo not found; build the demos first" \
         "(make build)" >&2
    exit 1
  fi
done

# start_server <name> <args...>: starts it in the background, waits (bounded)
# for its "Serving on" line; sets server_pid and server_port. Output goes to
# $work/<name>.out and .err.
start_server() {
  start_named "$1" "$@"
}

# start_named <label> <name> <args...>: start_server for several processes
# of one program: <label> names their output files and headings.
start_named() {
  local name=$1 program=$2
  shift 2
  "$demo_dir/$program" "$@" >"$work/$name.out" 2>"$work/$name.err" &
  server_pid=$!
  server_pids+=("$server_pid")
  server_port=
  local deadline=$((SECONDS + start_timeout)) first
  while ((SECONDS < deadline)); do
    # Only a complete first line counts.
    first=
    if (($(wc -l <"$work/$name.out") > 0)); then
      first=$(head -n 1 "$work/$name.out")
    fi
    if [[ $first == "Serving on "*:[0-9]* ]]; then
      server_port=${first##*:}
      heading "$name $* &   (pid $server_pid, in the background)"
      echo "$first"
      return 0
    fi
    if ! kill -0 "$server_pid" 2>/dev/null; then
      fail "$name exited before serving: $(cat "$work/$name.err")"
      return 1
    fi
    sleep 0.1
  done
  fail "$name printed no 'Serving on' line within ${start_timeout}s"
  return 1
}

# stop_server <name> <pid>: SIGTERM, bounded wait, must exit 0; prints its
# output under a heading.
stop_server() {
  local name=$1 pid=$2 status
  kill -TERM "$pid" 2>/dev/null
  local deadline=$((SECONDS + stop_timeout))
  while kill -0 "$pid" 2>/dev/null && ((SECONDS < deadline)); do
    sleep 0.1
  done
  if kill -0 "$pid" 2>/dev/null; then
    kill -KILL "$pid" 2>/dev/null
    fail "$name did not exit within ${stop_timeout}s of SIGTERM"
  fi
  wait "$pid"
  status=$?
  local kept=() p
  for p in "${server_pids[@]}"; do
    [[ $p == "$pid" ]] || kept+=("$p")
  done
  server_pids=(${kept[@]+"${kept[@]}"})
  heading "$name: stopped with SIGTERM, exit status $status; its output:"
  cat "$work/$name.out"
  [[ -s "$work/$name.err" ]] && sed 's/^/stderr: /' "$work/$name.err"
  ((status == 0)) || fail "$name exited with status $status after SIGTERM"
}

# run_client <name> <args...>: runs it under a timeout and prints its output.
run_client() {
  local name=$1 status
  shift
  heading "$name${*:+ $*}"
  # In the background so that a signal to this script is handled at once
  # (bash runs traps only between foreground commands).
  timeout "$step_timeout" "$demo_dir/$name" "$@" &
  client_pid=$!
  wait "$client_pid"
  status=$?
  client_pid=
  ((status == 0)) || fail "$name $* exited with status $status"
}

# The four examples in one style: "" (coroutines) or "_actor".
run_examples() {
  local style=$1
  # 1. TCP echo server and client
  if start_server "tcp_echo_server$style" --host 127.0.0.1 --port 0; then
    run_client "tcp_echo_client$style" --host 127.0.0.1 --port "$server_port"
    stop_server "tcp_echo_server$style" "$server_pid"
  fi

  # 2. HTTP headers, from the project's own HTTP/1.0 server
  if start_server http_server --host 127.0.0.1 --port 0; then
    run_client "print_http_headers$style" "http://127.0.0.1:$server_port/"
    stop_server http_server "$server_pid"
  fi

  # 2b. The same over HTTPS, the seed's ssl=True: the server presents a
  # throwaway certificate for localhost, the client verifies it (trusting
  # it with --cafile, as a private CA).
  if [[ -n $tls_cert ]] && start_server http_server --host 127.0.0.1 --port 0 \
      --tls-cert "$tls_cert" --tls-key "$tls_key"; then
    run_client "print_http_headers$style" --cafile "$tls_cert" \
      "https://localhost:$server_port/"
    stop_server http_server "$server_pid"
  fi

  # 3. A socketpair's end registered to wait for data
  run_client "wait_for_data$style"
}

# A throwaway self-signed certificate for the HTTPS step (openssl: make
# deps installs it).
tls_cert=
tls_key=
if command -v openssl >/dev/null 2>&1 \
    && openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
         -keyout "$work/key.pem" -out "$work/cert.pem" -days 1 \
         -subj /CN=localhost \
         -addext subjectAltName=DNS:localhost,IP:127.0.0.1 >/dev/null 2>&1; then
  tls_cert=$work/cert.pem
  tls_key=$work/key.pem
else
  fail "openssl could not make a certificate: the HTTPS step cannot run (make deps installs openssl)"
fi

printf '\n#### The examples as coroutines (docs/coroutines.md)\n'
run_examples ""
printf '\n#### The same examples as actors and blocking calls (*_actor)\n'
run_examples _actor

# The chat room over three processes (docs/distributed.md): the room on one
# node, two fronts that own the clients' sockets on two others, CAF's
# middleman between them; scripted clients on both fronts.
printf '\n#### A chat room spread over three processes (docs/distributed.md)\n'
if start_named chat-room chat --role room --port 0; then
  room_pid=$server_pid room_port=$server_port
  if start_named chat-front-a chat --role front --port 0 \
       --room "127.0.0.1:$room_port"; then
    front_a_pid=$server_pid front_a_port=$server_port
    if start_named chat-front-b chat --role front --port 0 \
         --room "127.0.0.1:$room_port"; then
      front_b_pid=$server_pid front_b_port=$server_port
      heading "chat_clients.py: alice and carol on front A, bob on front B"
      timeout "$step_timeout" python3 "$(dirname "$0")/chat_clients.py" \
        "$front_a_port" "$front_b_port" &
      client_pid=$!
      wait "$client_pid" || fail "the chat clients failed"
      client_pid=
      stop_server chat-front-b "$front_b_pid"
    fi
    stop_server chat-front-a "$front_a_pid"
  fi
  stop_server chat-room "$room_pid"
fi

echo
if ((failures > 0)); then
  echo "run_demos: $failures step(s) failed" >&2
  exit 1
fi
echo "run_demos: all demos ran"
