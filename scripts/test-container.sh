#!/usr/bin/env bash
# Build the container images and check them as a user would, with Docker or podman (whichever runs
# here; as root on Debian, podman is installed when neither is). Run by .ci/run; on its own:
#   bash scripts/test-container.sh            (KEEP_IMAGES=1 keeps the images for another run)
#
# 1. the compose file is valid (docker compose / podman compose / docker-compose config);
# 2. the default image (extractive, no model libraries): `image size: N MB`; then, run as the README
#    says: /readyz becomes 200, a Korean and an English article get bullets, no torch, transformers
#    or CTranslate2 in it, the server process's uid (printed) is the image's non-root user, the code
#    is not writable by it, the image's HEALTHCHECK passes when run, and `stop` with the compose
#    file's stop_grace_period exits 0 after completing a request that was in flight;
# 3. the same image wired to a real redis-server by docker-compose.yml's settings, on a read-only
#    root without capabilities (as the Kubernetes pod runs it): results are cached in Redis and the
#    rate limit is counted there (429 after the limit);
# 4. the model image (--target models): its size; with the tiny test models of tests/tiny_models.py
#    built into a derived image and configured by SUMMARIZER_* settings, /v1/translate answers both
#    ways, /v1/models lists them, and `python -m service models check` (run in the container,
#    offline) reports each model with its backend, special tokens, generation settings and speed.
# Everything it starts (containers, redis-server, images it built) is removed at the end.
#
# What these machines need is done here, never in the Dockerfile users build: podman's containers.conf
# (runc, cgroupfs, file events, rlimits this machine allows), a local python:3.11-slim made with
# mmdebstrap when no registry can be reached (with the host's extra CA certificates, for the HTTPS
# proxy), and the host's pip configuration (indexes, wheel folders, CA bundle) handed to the build.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
NAME=bullets-ci-$$
IMG=${IMG:-bullets-test}
BASE=docker.io/library/python:3.11-slim
WORK=$(mktemp -d)
CONTAINERS=()
IMAGES_BUILT=()
REDIS_PID=""
T0=$(date +%s)
DEFAULT_MAX_MB=700  # the issue's goal for the default image

say() { echo "== [$(($(date +%s) - T0)) s] $*"; }
fail() { echo "FAIL: $*" >&2; exit 1; }

cleanup() {
  local rc=$?
  set +e
  for c in "${CONTAINERS[@]}"; do
    if [ "$rc" -ne 0 ] && [ -n "$($ENGINE ps -aq --filter "name=^$c\$" 2>/dev/null)" ]; then
      echo "--- last log lines of $c" >&2; $ENGINE logs --tail 30 "$c" >&2 2>&1
    fi
    $ENGINE rm -f "$c" >/dev/null 2>&1
  done
  [ -n "$REDIS_PID" ] && kill "$REDIS_PID" 2>/dev/null
  if [ "${KEEP_IMAGES:-0}" != 1 ] && [ "${#IMAGES_BUILT[@]}" -gt 0 ]; then
    $ENGINE rmi -f "${IMAGES_BUILT[@]}" >/dev/null 2>&1
    # the untagged build stages these builds left behind (and nothing that was dangling before)
    comm -13 <(sort "$WORK/dangling.before") <($ENGINE images -q --filter dangling=true 2>/dev/null | sort -u) \
      | xargs -r $ENGINE rmi -f >/dev/null 2>&1
  fi
  rm -rf "$WORK"
  exit "$rc"
}
ENGINE=true
trap cleanup EXIT

# --- the engine -------------------------------------------------------------------------------
apt_install() {
  [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null || fail "$* missing: install it (Debian: apt-get install $*)"
  say "installing $* from Debian"
  apt-get update -qq
  # with the recommended packages, as tried on these machines (podman's network stack and iptables)
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}
if [ -n "${CONTAINER_ENGINE:-}" ]; then
  ENGINE=$CONTAINER_ENGINE
elif command -v docker >/dev/null && docker info >/dev/null 2>&1; then
  ENGINE=docker
elif command -v podman >/dev/null; then
  ENGINE=podman
else
  apt_install podman buildah runc mmdebstrap uidmap
  ENGINE=podman
fi
say "engine: $($ENGINE --version)"
$ENGINE images -q --filter dangling=true 2>/dev/null | sort -u > "$WORK/dangling.before"

# --- 1. the compose file ------------------------------------------------------------------------
if docker compose version >/dev/null 2>&1; then
  compose=(docker compose)
elif [ "$ENGINE" = podman ] && podman compose version >/dev/null 2>&1; then
  compose=(podman compose)
else
  # Compose v1 validates against the Compose specification's schema and needs no engine
  command -v docker-compose >/dev/null || apt_install docker-compose
  compose=(docker-compose)
fi
"${compose[@]}" -f docker-compose.yml config -q || fail "docker-compose.yml is not valid"
say "compose file valid (${compose[*]} config)"
GRACE=$(sed -n 's/^ *stop_grace_period: *\([0-9]*\)s.*/\1/p' docker-compose.yml | head -1)
[ -n "$GRACE" ] || fail "no stop_grace_period in docker-compose.yml"

# --- the base image -----------------------------------------------------------------------------
if ! $ENGINE image inspect "$BASE" >/dev/null 2>&1 && ! timeout 300 $ENGINE pull -q "$BASE" >/dev/null 2>&1; then
  # no registry: Debian bookworm's Python is 3.11; the same name, so the Dockerfile is unchanged
  say "$BASE cannot be pulled: building it with mmdebstrap (Debian bookworm minbase)"
  command -v mmdebstrap >/dev/null || apt_install mmdebstrap
  # the certificates update-ca-certificates installs locally (an intercepting proxy's, say) go in too
  hooks=(--customize-hook='mkdir -p "$1/usr/local/share/ca-certificates"')
  while read -r crt; do
    hooks+=(--customize-hook="cp '$crt' \"\$1/usr/local/share/ca-certificates/\"")
  done < <(find /usr/local/share/ca-certificates -name '*.crt' 2>/dev/null)
  mmdebstrap --variant=minbase --include=python3,python3-venv,python-is-python3,ca-certificates,passwd \
    --dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/doc/*' \
    --dpkgopt='path-include=/usr/share/doc/*/copyright' --dpkgopt='path-exclude=/usr/share/locale/*' \
    "${hooks[@]}" --customize-hook='chroot "$1" update-ca-certificates' \
    bookworm "$WORK/base.tar" "deb http://deb.debian.org/debian bookworm main" \
    "deb http://deb.debian.org/debian bookworm-updates main" \
    "deb http://deb.debian.org/debian-security bookworm-security main" > "$WORK/mmdebstrap.log" 2>&1 \
    || { tail -20 "$WORK/mmdebstrap.log" >&2; fail "mmdebstrap"; }
  $ENGINE import --change 'ENV LANG=C.UTF-8' --change 'CMD ["python3"]' "$WORK/base.tar" "$BASE" >/dev/null
  rm -f "$WORK/base.tar"
  IMAGES_BUILT+=("$BASE")
fi

# --- podman on these machines: runc, cgroupfs, file events, rlimits the machine allows -------------
if [ "$ENGINE" = podman ] && [ -z "${CONTAINERS_CONF:-}" ] && ! podman run --rm "$BASE" true >"$WORK/probe.log" 2>&1; then
  sed 's/^/   /' "$WORK/probe.log"
  export CONTAINERS_CONF=$WORK/containers.conf
  # --ulimit on the command line would replace the whole default list: set the defaults instead
  nofile=$(ulimit -Hn); nofile=${nofile/unlimited/-1}
  for nproc in "$(ulimit -Hu | sed 's/unlimited/-1/')" "$(cat /proc/sys/kernel/pid_max)"; do
    cat > "$CONTAINERS_CONF" <<EOF
[containers]
default_ulimits = ["nofile=$nofile:$nofile", "nproc=$nproc:$nproc"]
[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
$(command -v runc >/dev/null && echo 'runtime = "runc"')
EOF
    podman run --rm "$BASE" true >"$WORK/probe.log" 2>&1 && break
  done
  podman run --rm "$BASE" true >/dev/null 2>&1 || { cat "$WORK/probe.log" >&2; fail "podman cannot run a container here"; }
  say "podman needs a containers.conf here: $(tr '\n' ' ' < "$CONTAINERS_CONF")"
fi

# --- build ----------------------------------------------------------------------------------------
build=()
if [ "$ENGINE" = podman ]; then
  build=(--format docker)  # the OCI format has no HEALTHCHECK
  # the host's pip configuration (files and PIP_* variables), with the folders it names mounted
  # read-only, so the build finds the same packages (here: the CPU torch wheel) through the same CA
  pip=$(command -v pip3 || true)
  [ -x .venv/bin/pip ] && pip=.venv/bin/pip
  if [ -n "$pip" ] && [ -n "$("$pip" config list 2>/dev/null)" ]; then
    "$pip" config list 2>/dev/null | python3 -c '
import os, re, shlex, sys
sections, paths = {}, set()
for line in sys.stdin:
    m = re.match(r"([^.]*)\.([\w-]+)=(.*)$", line.strip())
    if not m:
        continue
    section, key, value = m.group(1), m.group(2), shlex.split(m.group(3))[0]
    sections.setdefault("global" if section == ":env:" else section, {})[key] = value
    for tok in value.split():
        path = tok[len("file://"):] if tok.startswith("file://") else tok
        path = path.rstrip("/")
        if os.path.basename(path) == "simple":  # a PEP 503 index: its pages link to files beside it
            path = os.path.dirname(path)
        if path.startswith("/") and os.path.exists(path):
            paths.add(path)
with open(sys.argv[1], "w") as f:
    for section, kv in sections.items():
        f.write(f"[{section}]\n" + "".join(f"{k} = {v}\n" for k, v in kv.items()))
print("\n".join(sorted(paths)))
' "$WORK/pip.conf" > "$WORK/pip.paths"
    build+=(--volume "$WORK/pip.conf:/etc/pip.conf:ro")
    while read -r p; do build+=(--volume "$p:$p:ro"); done < "$WORK/pip.paths"
    extra=$(sed -n 's/^extra-index-url = //p' "$WORK/pip.conf" | head -1)
    build+=(--build-arg "PIP_EXTRA_INDEX_URL=$extra")
    say "build uses the host's pip configuration: $(grep -c . "$WORK/pip.paths") paths mounted, extra index: ${extra:-none}"
  fi
fi
size_mb() { echo $(( $($ENGINE image inspect --format '{{.Size}}' "$1") / 1000000 )); }
build_image() {  # build_image TAG LOG [build args...]
  local tag=$1 log=$2; shift 2
  local t=$SECONDS
  $ENGINE build "${build[@]}" -t "$tag" "$@" > "$WORK/$log" 2>&1 || { tail -40 "$WORK/$log" >&2; fail "building $tag"; }
  IMAGES_BUILT+=("$tag")
  say "built $tag in $((SECONDS - t)) s"
}

free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# HTTP checks in the standard library (no venv needed): py CHECK ARGS...
py() {
  python3 - "$@" <<'PYEOF'
import json, sys, threading, time, subprocess, urllib.error, urllib.request

check, base, args = sys.argv[1], sys.argv[2], sys.argv[3:]


def call(path, body=None, timeout=60):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(base + path, data=data, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, json.loads(r.read() or b"null")
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"null")


def long_text(lang, salt):
    """About 90,000 characters of distinct lines (repeated lines would be dropped as page chrome)."""
    rows = [json.loads(line) for line in open("tests/data/ntrex_ko_en.jsonl", encoding="utf-8")]
    lines, n = [], 0
    while n < 90_000:
        line = f"{rows[len(lines) % len(rows)][lang]} ({salt}-{len(lines) + 1})"
        lines.append(line)
        n += len(line) + 1
    return "\n".join(lines)


if check == "ready":  # ready BASE SECONDS CONTAINER ENGINE
    deadline = time.monotonic() + float(args[0])
    while time.monotonic() < deadline:
        try:
            if call("/readyz", timeout=2)[0] == 200:
                sys.exit(0)
        except OSError:
            pass
        alive = subprocess.run([args[2], "inspect", "--format", "{{.State.Running}}", args[1]],
                               capture_output=True, text=True).stdout.strip()
        if alive != "true":
            sys.exit(f"container {args[1]} stopped before it was ready")
        time.sleep(0.5)
    sys.exit(f"/readyz not 200 within {args[0]} s")

elif check == "summarize":  # summarize FILE LANG
    status, body = call("/v1/summarize", {"text": open(args[0], encoding="utf-8").read()})
    assert status == 200, (status, body)
    assert body["source_lang"] == args[1] and body["method"] == "extractive" and body["bullets"], body
    print(f"   {args[0]}: {len(body['bullets'])} bullets ({body['source_lang']}, {body['method']}): "
          f"{body['bullets'][0]['text'][:70]}")

elif check == "inflight":  # inflight GRACE ENGINE CONTAINER: stop while a long request runs
    box = {}
    text = long_text("ko", time.time_ns())

    def post():
        box["resp"] = call("/v1/summarize", {"text": text}, timeout=120)
        box["done"] = time.monotonic()

    t = threading.Thread(target=post)
    t0 = time.monotonic()
    t.start()
    time.sleep(0.5)
    assert t.is_alive(), "the long request finished before stop: nothing was in flight"
    stop_at = time.monotonic()
    subprocess.run([args[1], "stop", "-t", args[0], args[2]], check=True, capture_output=True)
    stopped = time.monotonic()
    t.join(60)
    status, body = box["resp"]
    assert status == 200 and body["bullets"], (status, body)
    assert box["done"] > stop_at, "the response came before stop was sent"
    print(f"   stop sent {stop_at - t0:.1f} s into a {len(text):,}-character request; the request completed "
          f"(200, {len(body['bullets'])} bullets) {box['done'] - stop_at:.1f} s later; "
          f"stop returned after {stopped - stop_at:.1f} s (grace {args[0]} s)")

elif check == "redis":  # redis LIMIT: cache entries and rate-limit counts land in Redis
    text = long_text("en", time.time_ns())[:5000]
    first, second = call("/v1/summarize", {"text": text}), call("/v1/summarize", {"text": text})
    assert first[0] == second[0] == 200, (first, second)
    assert first[1]["cached"] is False and second[1]["cached"] is True, (first[1]["cached"], second[1]["cached"])
    limit, seen = int(args[0]), 2
    while seen <= limit:
        status, body = call("/v1/summarize", {"text": text})
        seen += 1
        if status == 429:
            break
    assert status == 429 and seen == limit + 1, (status, seen, body)
    print(f"   second identical request answered from the cache; request {seen} of a {limit}/minute limit: 429")

elif check == "translate":  # translate: the tiny models, both ways
    for text_file, target in (("samples/ko.txt", "en"), ("samples/en.txt", "ko")):
        status, body = call("/v1/translate", {"text": open(text_file, encoding="utf-8").read(), "target_lang": target})
        assert status == 200 and body["target_lang"] == target and body["text"] and body["sentences"], (status, body)
        print(f"   /v1/translate {body['source_lang']}->{target}: 200, {len(body['sentences'])} sentences, "
              f"model {body['model']}")
    status, body = call("/v1/models")
    models = {(m["task"], tuple(m["languages"])): m for m in body["models"]}
    for task_langs in (("translate", ("ko", "en")), ("translate", ("en", "ko"))):
        m = models.get(task_langs)
        assert m and m["kind"] == "seq2seq", (task_langs, body)
        print(f"   /v1/models: {task_langs[0]} {'->'.join(task_langs[1])}: {m['model_id']} ({m.get('backend')})")
PYEOF
}

start() {  # start NAME IMAGE [run args...]: detached; podman's systemd health-timer warnings hidden
  local name=$1 image=$2; shift 2
  CONTAINERS+=("$name")
  $ENGINE run -d --name "$name" "$@" "$image" > "$WORK/$name.run" 2>&1 || { cat "$WORK/$name.run" >&2; fail "run $image"; }
}

# --- 2. the default image -------------------------------------------------------------------------
build_image "$IMG:default" build-default.log .
DEFAULT_MB=$(size_mb "$IMG:default")
echo "image size: $DEFAULT_MB MB ($IMG:default: extractive, no model libraries)"
[ "$DEFAULT_MB" -le "$DEFAULT_MAX_MB" ] || fail "the default image is over $DEFAULT_MAX_MB MB"

PORT=$(free_port)
C=$NAME-default
start "$C" "$IMG:default" -p "127.0.0.1:$PORT:8000" -e SUMMARIZER_WORKERS=2
py ready "http://127.0.0.1:$PORT" 120 "$C" "$ENGINE" || fail "the default image did not become ready"
say "/readyz 200 on 127.0.0.1:$PORT"
py summarize "http://127.0.0.1:$PORT" samples/ko.txt ko
py summarize "http://127.0.0.1:$PORT" samples/en.txt en
libs=$($ENGINE exec "$C" python -c "import importlib.util as u; print(' '.join(m for m in ('torch', 'transformers', 'ctranslate2') if u.find_spec(m)))")
[ -z "$libs" ] || fail "model libraries in the default image: $libs"
echo "   model libraries in the image: none (torch, transformers, ctranslate2 absent)"
# the Dockerfile prunes blingfire's unused files: its sentence splitter must still load (else pysbd)
$ENGINE exec "$C" python -c "import blingfire; assert blingfire.text_to_sentences('Dr. Kim left. He came back.') == 'Dr. Kim left.\nHe came back.'" \
  || fail "blingfire does not split sentences in the image"
echo "   blingfire splits English sentences (its pruned files were not needed)"
uid=$($ENGINE exec "$C" sh -c "awk '/^Uid:/ {print \$2}' /proc/1/status")
image_user=$($ENGINE image inspect --format '{{.Config.User}}' "$IMG:default")
echo "   server process (pid 1) uid: $uid (image USER $image_user)"
[ "$uid" != 0 ] && [ "$uid" = "$image_user" ] || fail "the server runs as uid $uid"
if $ENGINE exec "$C" sh -c 'touch /app/service/x 2>/dev/null || touch /app/.venv/x 2>/dev/null'; then
  fail "the app user can write the code or the venv"
fi
echo "   code and venv not writable by uid $uid"
health=$($ENGINE image inspect --format '{{json .Config.Healthcheck.Test}}' "$IMG:default")
[ "$health" != null ] && [ -n "$health" ] || fail "the image has no HEALTHCHECK"
if [ "$ENGINE" = podman ]; then  # health timers need systemd: run the check now
  podman healthcheck run "$C" || fail "HEALTHCHECK failed"
else
  # Docker runs health checks itself, but only every 30 s: run the image's check command now
  python3 -c 'import json, subprocess, sys
test = json.loads(sys.argv[3])
cmd = test[1:] if test[0] == "CMD" else ["sh", "-c", test[1]]
sys.exit(subprocess.run([sys.argv[1], "exec", sys.argv[2], *cmd]).returncode)' "$ENGINE" "$C" "$health" \
    || fail "HEALTHCHECK failed"
fi
echo "   HEALTHCHECK (run now): passed"
py inflight "http://127.0.0.1:$PORT" "$GRACE" "$ENGINE" "$C"
code=$($ENGINE inspect --format '{{.State.ExitCode}}' "$C")
[ "$code" = 0 ] || fail "the container exited with $code after stop"
# clean means every worker exited by itself too (gunicorn logs a worker it had to signal)
if $ENGINE logs "$C" 2>&1 | grep -E 'was sent SIG|terminate called|Traceback' >&2; then
  fail "unclean shutdown: see the log lines above"
fi
echo "   exit code after stop: 0, every worker exited by itself (no SIGABRT/SIGKILL, no traceback)"
say "default image checked"

# --- 3. the default image with docker-compose.yml's Redis settings, on a read-only root -------------
command -v redis-server >/dev/null || apt_install redis-server
RPORT=$(free_port)
redis-server --port "$RPORT" --bind 127.0.0.1 --save "" --appendonly no --daemonize no >"$WORK/redis.log" 2>&1 &
REDIS_PID=$!
env_args=()
while read -r kv; do env_args+=(-e "${kv//redis:6379/127.0.0.1:$RPORT}"); done < <(python3 - <<'PYEOF'
import re
in_env = False
for line in open("docker-compose.yml", encoding="utf-8"):
    if re.match(r"^    environment:", line):
        in_env = True
    elif in_env and not re.match(r"^      ", line) and not line.strip().startswith("#"):
        break
    elif in_env and (m := re.match(r"^      (SUMMARIZER_\w+):\s*\"?([^\"#]*?)\"?\s*(#.*)?$", line)):
        print(f"{m.group(1)}={m.group(2)}")
PYEOF
)
LIMIT=$(printf '%s\n' "${env_args[@]}" | sed -n 's/^SUMMARIZER_RATE_LIMIT_PER_MINUTE=//p')
printf '%s\n' "${env_args[@]}" | grep -q '^SUMMARIZER_CACHE_REDIS_URL=redis://127.0.0.1' && [ -n "$LIMIT" ] \
  || fail "docker-compose.yml does not wire the cache and the rate limit to Redis"
PORT2=$(free_port)
C2=$NAME-redis
# host network: the container reaches the redis-server on this machine's loopback
start "$C2" "$IMG:default" --network host --read-only --tmpfs /tmp --cap-drop ALL \
  --security-opt no-new-privileges "${env_args[@]}" -e "SUMMARIZER_PORT=$PORT2" -e SUMMARIZER_HOST=127.0.0.1
py ready "http://127.0.0.1:$PORT2" 120 "$C2" "$ENGINE" || fail "the image did not become ready with Redis"
py redis "http://127.0.0.1:$PORT2" "$LIMIT"
cache_keys=$(redis-cli -p "$RPORT" -n 0 dbsize)
limit_keys=$(redis-cli -p "$RPORT" -n 1 dbsize)
echo "   Redis: $cache_keys key(s) in db 0 (cache), $limit_keys in db 1 (rate limits)"
[ "$cache_keys" -gt 0 ] && [ "$limit_keys" -gt 0 ] || fail "nothing written to Redis"
$ENGINE stop -t "$GRACE" "$C2" >>"$WORK/stop.log" 2>&1
say "Redis wiring checked (read-only root, no capabilities)"

# --- 4. the model image, and the tiny test models through /v1/translate ------------------------------
build_image "$IMG:models" build-models.log --target models .
echo "image size: $(size_mb "$IMG:models") MB ($IMG:models: + torch CPU, transformers, CTranslate2; no models)"
mkdir -p "$WORK/tiny/tests/data"
cp tests/__init__.py tests/tiny_models.py "$WORK/tiny/tests/"
cp tests/data/ntrex_ko_en.jsonl "$WORK/tiny/tests/data/"
cp -r samples "$WORK/tiny/"
cat > "$WORK/tiny/Containerfile" <<EOF
FROM $IMG:models
USER root
COPY tests/ /opt/tiny/tests/
COPY samples/ /opt/tiny/samples/
# the tiny random-weight Marian models the tests build (tests/tiny_models.py), owned by the app user
RUN cd /opt/tiny && python -c "from pathlib import Path; from tests.tiny_models import build_marian; \
build_marian(Path('/models/tiny/marian-ko-en'), seed=1); build_marian(Path('/models/tiny/marian-en-ko'), seed=2)" \
 && chown -R app:app /models/tiny && rm -rf /opt/tiny
USER 10001
ENV SUMMARIZER_MODEL_TRANSLATE_KO_EN=/models/tiny/marian-ko-en \
    SUMMARIZER_MODEL_TRANSLATE_EN_KO=/models/tiny/marian-en-ko
EOF
build_image "$IMG:tiny" build-tiny.log -f "$WORK/tiny/Containerfile" "$WORK/tiny"
PORT3=$(free_port)
C3=$NAME-models
start "$C3" "$IMG:tiny" -p "127.0.0.1:$PORT3:8000" -e SUMMARIZER_WORKERS=1
py ready "http://127.0.0.1:$PORT3" 300 "$C3" "$ENGINE" || fail "the model image did not become ready"
py translate "http://127.0.0.1:$PORT3"
# the doctor a user runs after downloading: loads each configured model offline, one short generation
$ENGINE exec -e HF_HUB_OFFLINE=1 "$C3" python -m service models check > "$WORK/check.log" 2>&1 \
  || { cat "$WORK/check.log" >&2; fail "models check failed in the model image"; }
sed 's/^/   /' "$WORK/check.log"
# the int8 runtime auto picked for this host's CPU and memory (models/inference/auto.py), as the server says it
served=$(python3 -c "import json, sys, urllib.request as u; m = json.load(u.urlopen(sys.argv[1] + '/v1/models'))['models']; \
print(' '.join(sorted({x['backend'] for x in m if x['kind'] == 'seq2seq'})))" "http://127.0.0.1:$PORT3")
echo "   served backend: $served"
case "$served" in ctranslate2|transformers-int8) ;; *) fail "the model image serves '$served', not one int8 runtime" ;; esac
grep -q "backend $served" "$WORK/check.log" || fail "models check did not report the backend the server runs ($served)"
$ENGINE stop -t "$GRACE" "$C3" >>"$WORK/stop.log" 2>&1
say "model image checked"
echo "container checks passed in $(($(date +%s) - T0)) s"
