#!/usr/bin/env bash
# test_docker_files.sh - checks docker/ without a Docker engine:
#  - docker-compose.yml parses as YAML and has the expected shape (MySQL 8.4,
#    ddlgate built from docker/Dockerfile with the repo root as context,
#    mounted files exist, the env secrets docker/ddlgate.ini names are set)
#  - docker/ddlgate.ini uses only keys ddlgate knows (src/conf.c's table), and
#    ddlgate starts with it (addresses overridden) when DDLGATE_BIN exists
#  - the Dockerfile: Debian 12 base, every apt package exists in Debian 12,
#    the build stage's COPY + RUN steps replayed here in a scratch directory
#    build ddlgate, and every shared library of the result comes from a
#    package the runtime stage installs.
# Env: DOCKER_CHECK_BUILD=0 skips the replayed build (saves ~1 min);
# REPO_ROOT, DDLGATE_BIN, MARIADB_PORT from run.sh (optional).
set -euo pipefail

REPO_ROOT=${REPO_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)}
PY=/usr/bin/python3
if ! "$PY" -c 'import yaml' 2> /dev/null; then
    echo "not ok - docker_yaml_module: python3-yaml missing (scripts/deps.sh installs it)"
    exit 1
fi
SCRATCH=$(mktemp -d "${IT_WORK_DIR:-/tmp}/docker.XXXXXX")
DG_PID=""
cleanup() {
    if [[ -n $DG_PID ]] && kill -0 "$DG_PID" 2> /dev/null; then
        kill -TERM "$DG_PID"; sleep 0.5; kill -KILL "$DG_PID" 2> /dev/null || true
    fi
    rm -rf "$SCRATCH"
}
trap cleanup EXIT

FAIL=0
"$PY" - "$REPO_ROOT" "$SCRATCH" "${DOCKER_CHECK_BUILD:-1}" <<'PY' || FAIL=1
import configparser, os, re, shlex, shutil, subprocess, sys
import yaml

root, scratch, do_build = sys.argv[1], sys.argv[2], sys.argv[3] == "1"
docker = os.path.join(root, "docker")
failed = 0

def check(name, cond, why=""):
    global failed
    if cond:
        print(f"ok - docker_{name}")
    else:
        failed += 1
        print(f"not ok - docker_{name}: {why}")
    sys.stdout.flush()
    return cond

# ---- docker-compose.yml
with open(os.path.join(docker, "docker-compose.yml")) as f:
    compose = yaml.safe_load(f)
svcs = compose.get("services", {}) if isinstance(compose, dict) else {}
check("compose_parses", isinstance(compose, dict) and "mysql" in svcs and "ddlgate" in svcs,
      "want services mysql and ddlgate")
my, dg = svcs.get("mysql", {}), svcs.get("ddlgate", {})
check("compose_mysql_84", my.get("image") == "mysql:8.4", f"mysql image is {my.get('image')}")
b = dg.get("build", {})
ctx = os.path.normpath(os.path.join(docker, b.get("context", ".")))
dockerfile = os.path.join(ctx, b.get("dockerfile", "Dockerfile"))
check("compose_build", os.path.isfile(os.path.join(ctx, "CMakeLists.txt")) and
      os.path.samefile(dockerfile, os.path.join(docker, "Dockerfile")),
      f"context {ctx} / dockerfile {dockerfile}")
dep = dg.get("depends_on", {})
check("compose_depends", "mysql" in dep and
      (not isinstance(dep, dict) or dep["mysql"].get("condition") == "service_healthy"),
      "ddlgate must wait for a healthy mysql")
check("compose_healthcheck", "test" in my.get("healthcheck", {}), "mysql has no healthcheck")
missing = []
for svc in (my, dg):
    for v in svc.get("volumes", []):
        src = v.split(":")[0]
        if src.startswith((".", "/")) and not os.path.exists(os.path.join(docker, src)):
            missing.append(src)
check("compose_mounts", not missing, f"mounted files missing: {missing}")
ports = [str(p) for p in dg.get("ports", [])]
check("compose_ports", any(p.endswith(":4406") for p in ports), f"ports {ports}")

# ---- ddlgate.ini against the keys ddlgate knows
src = open(os.path.join(root, "src", "conf.c")).read()
known = set(re.findall(r'\{\s*"(\w+)",\s*"(\w+)",\s*CT_', src))
known |= set(re.findall(r'"(\w+)",\s*"(\w+)",\s*CT_HOSTPORT', src))
ini = configparser.ConfigParser(inline_comment_prefixes=(";", "#"), comment_prefixes=(";", "#"))
ini.read(os.path.join(docker, "ddlgate.ini"))
unknown = [f"{s}.{k}" for s in ini.sections() if s != "rules" for k in ini[s]
           if (s, k) not in known]
check("ini_keys", known and not unknown, f"unknown keys {unknown}" if known else "no key table in src/conf.c")
check("ini_backend", ini.get("backend", "host", fallback="") == "mysql" and
      ini.get("backend", "port", fallback="") == "3306", "backend must be mysql:3306")
env = dg.get("environment", {})
if isinstance(env, list):
    env = dict(e.split("=", 1) for e in env)
need = [v[4:] for s in ini.sections() for v in ini[s].values() if v.startswith("env:")]
check("ini_env_secrets", all(n in env for n in need), f"compose does not set {need}")
with open(os.path.join(scratch, "ini.env"), "w") as f:
    for n in need:
        f.write(f"{n}=check-{n.lower()}\n")

# ---- Dockerfile
lines, cur = [], ""
for raw in open(dockerfile):
    s = raw.rstrip("\n")
    if not cur and (not s.strip() or s.lstrip().startswith("#")):
        continue
    if s.endswith("\\"):
        cur += s[:-1] + " "
        continue
    lines.append((cur + s).strip())
    cur = ""
stages = []
for l in lines:
    op, _, arg = l.partition(" ")
    op = op.upper()
    if op == "FROM":
        parts = arg.split()
        stages.append({"base": parts[0], "name": parts[2] if len(parts) > 2 else None, "steps": []})
    elif stages:
        stages[-1]["steps"].append((op, arg.strip()))
check("dockerfile_debian12", stages and all(re.match(r"debian:(12|bookworm)", s["base"]) for s in stages),
      f"bases {[s['base'] for s in stages]}")

def apt_packages(stage):
    pk = []
    for op, arg in stage["steps"]:
        if op == "RUN" and "apt-get install" in arg:
            seg = arg.split("apt-get install", 1)[1].split("&&")[0]
            pk += [w for w in shlex.split(seg) if not w.startswith("-")]
    return pk

allpk = sorted({p for s in stages for p in apt_packages(s)})
bad = [p for p in allpk if subprocess.run(["apt-cache", "show", p], capture_output=True).returncode != 0]
check("dockerfile_packages_exist", allpk and not bad, f"not in this Debian's archive: {bad}")
deps_sh = open(os.path.join(root, "scripts", "deps.sh")).read()
build_pk = set(apt_packages(stages[0])) if stages else set()
needed = {"build-essential", "cmake", "pkg-config", "libevent-dev", "libssl-dev", "libmariadb-dev",
          "libinih-dev", "zlib1g-dev", "libzstd-dev"}
check("dockerfile_build_deps", needed <= build_pk, f"build stage lacks {sorted(needed - build_pk)}")

# replay the build stage: WORKDIR -> scratch, COPY from the context, RUN here
binary = None
if not do_build:
    print("ok - docker_build_stage # SKIP DOCKER_CHECK_BUILD=0")
elif stages:
    work = os.path.join(scratch, "src")
    os.makedirs(work)
    cwd, ok, why = work, True, ""
    for op, arg in stages[0]["steps"]:
        if op == "WORKDIR":
            cwd = work  # the one WORKDIR maps onto the scratch tree
        elif op == "COPY":
            a = shlex.split(arg)
            a = [x for x in a if not x.startswith("--")]
            *srcs, dst = a
            for s_ in srcs:
                sp = os.path.join(ctx, s_)
                if not os.path.exists(sp):
                    ok, why = False, f"COPY source {s_} does not exist"
                    break
                dp = os.path.join(cwd, dst)
                if os.path.isdir(sp):
                    shutil.copytree(sp, dp, dirs_exist_ok=True)
                else:
                    os.makedirs(dp if dst.endswith("/") else os.path.dirname(dp), exist_ok=True)
                    shutil.copy(sp, dp)
        elif op == "RUN" and "apt-get" not in arg:
            r = subprocess.run(["bash", "-ec", arg], cwd=cwd, capture_output=True, text=True, timeout=900)
            if r.returncode != 0:
                ok, why = False, f"RUN {arg[:80]}... failed: {(r.stdout + r.stderr)[-600:]}"
        if not ok:
            break
    check("build_stage", ok, why)
    # the runtime stage copies this path from the build stage
    copies = [shlex.split(a) for op, a in stages[-1]["steps"] if op == "COPY" and "--from=" in a]
    for c in copies:
        srcp = c[1]
        if srcp.startswith("/src/"):
            cand = os.path.join(work, srcp[len("/src/"):])
            check("runtime_copy_from_build", not ok or os.path.isfile(cand), f"{srcp} not produced")
            if ok and os.path.isfile(cand):
                binary = cand
    for c in [shlex.split(a) for op, a in stages[-1]["steps"] if op == "COPY" and "--from=" not in a]:
        check("runtime_copy_" + os.path.basename(c[0]).replace(".", "_"),
              os.path.exists(os.path.join(ctx, c[0])), f"{c[0]} missing in the context")

# every shared library of the binary must come from a runtime-stage package
if binary:
    run_pk = set(apt_packages(stages[-1]))
    ldd = subprocess.run(["ldd", binary], capture_output=True, text=True).stdout
    libs = re.findall(r"=> (/\S+)", ldd)
    base = {"libc6", "libgcc-s1"}  # in debian:12-slim already
    missing = []
    for lib in libs:
        real = os.path.realpath(lib)
        owner = ""
        for cand in (lib, real, lib.replace("/usr/lib/", "/lib/"), real.replace("/usr/lib/", "/lib/"),
                     lib.replace("/lib/", "/usr/lib/", 1)):
            r = subprocess.run(["dpkg", "-S", cand], capture_output=True, text=True)
            if r.returncode == 0:
                owner = r.stdout.split(":")[0]
                break
        if owner and owner not in run_pk and owner not in base:
            missing.append(f"{os.path.basename(lib)} ({owner})")
        if not owner:
            missing.append(f"{lib} (no package)")
    check("runtime_libraries", libs and not missing, f"runtime stage lacks {missing}")
    with open(os.path.join(scratch, "binary"), "w") as f:
        f.write(binary)
sys.exit(1 if failed else 0)
PY

# ddlgate starts with docker/ddlgate.ini (addresses and secrets overridden)
BIN=""
[[ -s $SCRATCH/binary ]] && BIN=$(cat "$SCRATCH/binary")
[[ -z $BIN && -n ${DDLGATE_BIN:-} && -x ${DDLGATE_BIN:-} ]] && BIN=$DDLGATE_BIN
if [[ -n $BIN && -n ${MARIADB_PORT:-} ]]; then
    port=$("$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
    aport=$("$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
    set -a
    # shellcheck disable=SC1091
    source "$SCRATCH/ini.env"
    set +a
    "$BIN" -c "$REPO_ROOT/docker/ddlgate.ini" --listen "127.0.0.1:$port" --admin "127.0.0.1:$aport" \
        --backend "127.0.0.1:$MARIADB_PORT" > "$SCRATCH/dg.log" 2>&1 < /dev/null &
    DG_PID=$!
    up=0
    for ((i = 0; i < 100; i++)); do
        kill -0 "$DG_PID" 2> /dev/null || break
        if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2> /dev/null; then up=1; break; fi
        sleep 0.1
    done
    if [[ $up == 1 ]]; then echo "ok - docker_ini_loads"
    else echo "not ok - docker_ini_loads: ddlgate -c docker/ddlgate.ini did not start: $(tail -c 400 "$SCRATCH/dg.log")"; FAIL=1; fi
else
    echo "ok - docker_ini_loads # SKIP no ddlgate binary or no MARIADB_PORT"
fi
exit $FAIL
