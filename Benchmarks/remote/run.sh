#!/usr/bin/env bash
# The remote-cache benchmark of issue 17 (see BENCHMARKS.md, "Remote cache").
#
#   Benchmarks/remote/run.sh
#
# What it does, in order (everything under $BENCH_DIR, default Benchmarks/work/remote/, removed first):
#   1. clones the repository (`git clone --shared`: the committed manifests and locks) into a/ and
#      hard-links the built caches into it: cache/ of the bundled project and examples/cache/
#      (objects, index, memo; build them first with `lunette run` and `lunette run -C examples`);
#   2. re-runs the bundled project's train stages there (`lunette run --force 'moderation/*/train'`,
#      FORCE_TRAIN=0 skips it), so their action records name the embedding-memo entries they use
#      (records made before memo recording name none, and then no memo entry is pushed);
#   3. starts moto_server on a free loopback port, with two buckets;
#   4. times `lunette push` of both workspaces to s3://lunette/team, then (for the same set of files)
#      pushes them to a folder and times `aws s3 sync` of that folder to s3://awscli/team;
#   5. times a no-op `lunette push` of each workspace (everything already there), counting its requests
#      in moto's log;
#   6. in fresh clones (no cache): times `lunette pull` of both workspaces against `aws s3 sync` of
#      the bucket to a folder; then, like for like, the bundled project alone: pushed to a bucket of
#      its own, `lunette pull` of it against `aws s3 sync` of that bucket; then `lunette run` with
#      nothing local (read-through) against `lunette pull && lunette run`, each clone's run checked to
#      run nothing;
#   7. prints the figures and writes them to $BENCH_DIR/results.txt.
#
# Environment:
#   LUNETTE_BIN          lunette executable (default .build/release/lunette)
#   LUNETTE_MODELS       installed base models (default <repo>/cache/models)
#   LUNETTE_MOTO_SERVER  moto_server (default: on PATH, else .build-tools/moto-venv/bin/moto_server)
#   LUNETTE_AWS_CLI      aws (default: on PATH, else .build-tools/moto-venv/bin/aws)
#   BENCH_DIR            work folder; FORCE_TRAIN=0 skips step 2; LUNETTE_REMOTE_JOBS transfers at once (default 8)
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
lunette=${LUNETTE_BIN:-$repo/.build/release/lunette}
export LUNETTE_MODELS=${LUNETTE_MODELS:-$repo/cache/models}
work=${BENCH_DIR:-$repo/Benchmarks/work/remote}
pick() { for candidate in "$@"; do [[ -n $candidate && -x $candidate ]] && { echo "$candidate"; return; }; done; return 1; }
moto=$(pick "${LUNETTE_MOTO_SERVER:-}" "$(command -v moto_server || true)" "$repo/.build-tools/moto-venv/bin/moto_server") \
    || { echo "moto_server not found (pip install 'moto[server]')" >&2; exit 1; }
aws=$(pick "${LUNETTE_AWS_CLI:-}" "$(command -v aws || true)" "$repo/.build-tools/moto-venv/bin/aws") \
    || { echo "aws not found (pip install awscli)" >&2; exit 1; }
for cache in "$repo/cache/index" "$repo/examples/cache/index"; do
    [[ -d $cache ]] || { echo "$cache is missing: run \`lunette run\` and \`lunette run -C examples\` first" >&2; exit 1; }
done

rm -rf "$work"
mkdir -p "$work"
results=$work/results.txt
: >"$results"
say() { echo "$*" | tee -a "$results"; }
# seconds COMMAND…: runs it (output to $work/log) and prints its wall time in seconds.
seconds() {
    local start end
    start=$(date +%s.%N)
    "$@" >>"$work/log" 2>&1 || { echo "failed: $* (see $work/log)" >&2; kill $$; }
    end=$(date +%s.%N)
    awk -v a="$start" -v b="$end" 'BEGIN { printf "%.2f", b - a }'
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }

clone() {
    git clone -q --shared "$repo" "$1"
}

# 1–2. The pushing workspace.
clone "$work/a"
for cache in cache examples/cache; do
    mkdir -p "$work/a/$cache"
    for part in objects index memo; do
        [[ -d $repo/$cache/$part ]] && cp -al "$repo/$cache/$part" "$work/a/$cache/$part"
    done
done
if [[ ${FORCE_TRAIN:-1} != 0 ]]; then
    echo "re-running the bundled project's train stages (records that name their memo entries)…" >&2
    (cd "$work/a" && LUNETTE_REMOTE=off "$lunette" run --force 'moderation/*/train' >>"$work/log" 2>&1)
    git -C "$work/a" diff --quiet -- workflows || { echo "the forced train changed a lock: not byte-reproducible here" >&2; exit 1; }
fi

# 3. moto_server.
port=$((20000 + RANDOM % 20000))
"$moto" -H 127.0.0.1 -p "$port" >"$work/moto.log" 2>&1 &
moto_pid=$!
trap 'kill -INT $moto_pid 2>/dev/null; sleep 1; kill -9 $moto_pid 2>/dev/null || true' EXIT
endpoint=http://127.0.0.1:$port
for _ in $(seq 150); do curl -sf -o /dev/null "$endpoint/" && break; sleep 0.2; done
curl -sf -X PUT "$endpoint/lunette" >/dev/null
curl -sf -X PUT "$endpoint/awscli" >/dev/null
curl -sf -X PUT "$endpoint/single" >/dev/null
unset AWS_PROFILE AWS_SESSION_TOKEN
export AWS_ACCESS_KEY_ID=bench AWS_SECRET_ACCESS_KEY=bench-secret AWS_DEFAULT_REGION=us-east-1
export LUNETTE_REMOTE_ENDPOINT=$endpoint LUNETTE_REMOTE_REGION=us-east-1
s3=s3://lunette/team
s3aws() { "$aws" --endpoint-url "$endpoint" s3 "$@" --only-show-errors; }
both() {  # both VERB ROOT [ARGS…]: lunette VERB in ROOT and in ROOT/examples
    local verb=$1 root=$2
    shift 2
    "$lunette" "$verb" -C "$root" "$@" && "$lunette" "$verb" -C "$root/examples" "$@"
}

# 4. Push: lunette against aws s3 sync of the same files.
push_lunette=$(LUNETTE_REMOTE=$s3 seconds both push "$work/a")
LUNETTE_REMOTE=$work/folder both push "$work/a" >>"$work/log" 2>&1
files=$(find "$work/folder" -type f | wc -l)
size=$(du -sh "$work/folder" | cut -f1)
memo=$(find "$work/folder/memo" -type f 2>/dev/null | wc -l)
push_aws=$(seconds s3aws sync "$work/folder" s3://awscli/team)

# 5. No-op push.
requests() { grep -c 'HTTP/1.1"' "$work/moto.log" || true; }
before=$(requests)
noop_main=$(LUNETTE_REMOTE=$s3 seconds "$lunette" push -C "$work/a")
middle=$(requests)
noop_examples=$(LUNETTE_REMOTE=$s3 seconds "$lunette" push -C "$work/a/examples")
after=$(requests)
noop_requests="$((middle - before)) and $((after - middle)) requests"

# 6. Pull, read-through.
clone "$work/b"
pull_lunette=$(LUNETTE_REMOTE=$s3 seconds both pull "$work/b")
pull_aws=$(seconds s3aws sync s3://awscli/team "$work/aws-down")
# Like for like: one workspace, one bucket holding exactly what it pushed.
LUNETTE_REMOTE=s3://single/team "$lunette" push -C "$work/a" >>"$work/log" 2>&1
clone "$work/e"
single_lunette=$(LUNETTE_REMOTE=s3://single/team seconds "$lunette" pull -C "$work/e")
single_aws=$(seconds s3aws sync s3://single/team "$work/aws-single")
single_files=$(find "$work/aws-single" -type f | wc -l)
clone "$work/c"
read_through=$(LUNETTE_REMOTE=$s3 seconds both run "$work/c")
clone "$work/d"
pull_then_run=$(LUNETTE_REMOTE=$s3 seconds sh -c "'$lunette' pull -C '$work/d' && '$lunette' run -C '$work/d' && '$lunette' pull -C '$work/d/examples' && '$lunette' run -C '$work/d/examples'")
ran=$(for w in c d; do for root in "$work/$w" "$work/$w/examples"; do LUNETTE_REMOTE=off "$lunette" run -C "$root" | tail -1; done; done)

say "remote-cache benchmark, $(date -u '+%Y-%m-%d %H:%M UTC'), lunette $(git -C "$repo" rev-parse --short HEAD), $(nproc) cores, $(uname -m)"
say "moto_server $(python3 -c 'import moto; print(moto.__version__)' 2>/dev/null || echo '?') on loopback; $("$aws" --version 2>&1 | cut -d' ' -f1); LUNETTE_REMOTE_JOBS=${LUNETTE_REMOTE_JOBS:-8}"
say "pushed set: $files files, $size ($memo memo entries and manifests), bundled project + examples"
say "lunette moved: $(grep -E '^(uploaded|downloaded) ' "$work/log" | grep s3:// | awk '{print $1, $2, $4 $5}' | tr '\n' ';')"
say "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
say "push   lunette ${push_lunette} s   aws s3 sync ${push_aws} s   lunette/aws $(ratio "$push_lunette" "$push_aws")"
say "pull   lunette ${pull_lunette} s   aws s3 sync ${pull_aws} s   lunette/aws $(ratio "$pull_lunette" "$pull_aws")"
say "pull, bundled project alone ($single_files files)   lunette ${single_lunette} s   aws s3 sync ${single_aws} s   lunette/aws $(ratio "$single_lunette" "$single_aws")"
say "no-op push   bundled project ${noop_main} s   examples ${noop_examples} s   ($noop_requests)"
say "fresh clone: lunette run (read-through) ${read_through} s   lunette pull && lunette run ${pull_then_run} s"
say "runs afterwards (each should run nothing): $(echo "$ran" | tr '\n' '|')"
