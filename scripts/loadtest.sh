#!/usr/bin/env bash
# Load test for maintainers: sockserve's throughput by connection count and by file size, and,
# when nginx is installed, nginx's figures and the ratio sockserve/nginx from the same run.
# Loopback only; every wrk run is bounded by --duration.
#
# usage: scripts/loadtest.sh [--duration S] [--workers N] [--no-nginx]
#   --duration S   seconds per wrk run (default 3)
#   --workers N    sockserve --workers and nginx worker_processes (default 1; both pinned to
#                  CPU 1 when N is 1, unpinned otherwise)
# Needs: wrk and curl (nginx optional); deno on PATH or via npx.
set -u
cd "$(dirname "$0")/.."
dur=3; workers=1; use_nginx=1
while [ $# -gt 0 ]; do
  case "$1" in
    --duration) dur=$2; shift 2 ;;
    --workers) workers=$2; shift 2 ;;
    --no-nginx) use_nginx=0; shift ;;
    -h|--help) sed -n '2,11p' "$0"; exit 0 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
need() { command -v "$1" >/dev/null 2>&1; }
for tool in wrk curl; do need "$tool" || { echo "$tool is needed (apt-get install $tool)" >&2; exit 2; }; done
if need deno; then DENO=deno; else DENO="npx -y deno"; fi
[ "$use_nginx" = 1 ] && ! need nginx && use_nginx=0
# 1000 connections need more descriptors than the usual soft limit.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

work=$(mktemp -d -t sockserve-load.XXXXXX); chmod 755 "$work"
trap 'for p in $(jobs -p); do kill "$p" 2>/dev/null; done; rm -rf "$work"' EXIT
root=$work/www; mkdir -p "$root" "$work/logs" "$work/ngtmp"
head -c 1024 /dev/urandom | base64 -w 100 | head -c 1024 > "$root/1k.txt"
head -c $((45 * 1024)) /dev/urandom > "$root/45k.bin"
head -c $((100 * 1024)) /dev/urandom > "$root/100k.bin"
head -c $((1024 * 1024)) /dev/urandom > "$root/1m.bin"
head -c $((64 * 1024 * 1024)) /dev/urandom > "$root/64m.bin"

pin_server=""; pin_client=""
if [ "$workers" = 1 ] && need taskset && [ "$(nproc)" -ge 2 ]; then pin_server="taskset -c 1"; pin_client="taskset -c 0"; fi

start() { # name port command...
  local name=$1 port=$2; shift 2
  $pin_server "$@" > "$work/$name.out" 2>&1 &
  echo $! > "$work/$name.pid"
  for _ in $(seq 1 100); do curl -s -o /dev/null "http://127.0.0.1:$port/1k.txt" && return 0; sleep 0.1; done
  echo "$name did not start:" >&2; tail -5 "$work/$name.out" >&2; return 1
}
stop() { kill "$(cat "$work/$1.pid")" 2>/dev/null; wait "$(cat "$work/$1.pid")" 2>/dev/null; }
rps() { # port path conns
  $pin_client wrk -t1 -c"$3" -d"${dur}s" "http://127.0.0.1:$1$2" 2>/dev/null | awk '/Requests\/sec/{printf "%.0f", $2}'
}
mbs() { # port: median of three 64 MiB downloads
  for _ in 1 2 3; do $pin_client curl -s -o /dev/null --max-time 60 -w '%{speed_download}\n' "http://127.0.0.1:$1/64m.bin"; done |
    sort -n | sed -n 2p | awk '{printf "%.0f", $1 / 1e6}'
}
measure() { # name port
  local name=$1 port=$2 c f
  for c in 1 10 100 1000; do echo "$name conns=$c $(rps "$port" /1k.txt "$c")"; done
  for f in 1k.txt 45k.bin 100k.bin 1m.bin; do echo "$name file=$f $(rps "$port" "/$f" 50)"; done
  echo "$name download_MBps $(mbs "$port")"
  echo "$name rss_kb $(ps -o rss= -p "$(cat "$work/$name.pid")" | awk '{s+=$1} END{print s+0}')"
}

results=$work/results.txt; : > "$results"
start sockserve 19181 $DENO run -A --unstable-net --v8-flags=--max-semi-space-size=2 main.ts \
  -p 19181 -d "$root" --log-dir "$work/logs" --quiet --workers "$workers" &&
  measure sockserve 19181 >> "$results"; stop sockserve

if [ "$use_nginx" = 1 ]; then
  cat > "$work/nginx.conf" <<EOF
worker_processes $workers;
daemon off;
pid $work/nginx.pid.file;
error_log $work/nginx-error.log;
events { worker_connections 4096; }
http {
  include /etc/nginx/mime.types;
  access_log $work/logs/nginx-access.log;
  sendfile on; tcp_nopush on; keepalive_requests 1000000;
  client_body_temp_path $work/ngtmp; proxy_temp_path $work/ngtmp; fastcgi_temp_path $work/ngtmp;
  uwsgi_temp_path $work/ngtmp; scgi_temp_path $work/ngtmp;
  server { listen 127.0.0.1:19182; root $root; }
}
EOF
  start nginx 19182 nginx -c "$work/nginx.conf" && measure nginx 19182 >> "$results"; stop nginx
fi

echo "sockserve load test: $(nproc) CPUs, workers=$workers, pinned=$([ -n "$pin_server" ] && echo yes || echo no), wrk -t1 ${dur}s per run, keep-alive"
awk '
  { v[$1" "$2]=$3; keys[$2]=1; if (!($2 in order)) { order[$2]=++n; list[n]=$2 } }
  END {
    printf "%-18s %12s %12s %8s\n", "what", "sockserve", "nginx", "ratio"
    for (i=1;i<=n;i++) { k=list[i]; s=v["sockserve "k]; g=v["nginx "k]
      r=(g>0 && s>0)?sprintf("%.2f", s/g):"-"
      printf "%-18s %12s %12s %8s\n", k, s, (g==""?"-":g), r }
  }' "$results"
echo "req/s for conns=N (1 KiB file) and file=F (50 connections); MB/s for download; ratio = sockserve/nginx"
