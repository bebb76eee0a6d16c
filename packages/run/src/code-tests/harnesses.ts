/**
 * The programs that run one example's tests inside the sandbox, one per language. Each reads
 * `solution.<ext>`, `tests.json` ({ tests: string[], setup?: string }) from its working directory (a
 * fresh temp dir), guards the process against network use (see sandbox.ts: the guard is what holds
 * where the kernel's network namespace cannot be had) and writes its findings as JSON lines to file
 * descriptor 3, flushed one by one, so a run cut short by its time limit still tells which tests
 * passed before it:
 *
 *   {"ready": true}                       the harness started (before any code of the output ran)
 *   {"load": "ok"} | {"load": "error", "error": "..."}   the solution (and setup) ran or raised
 *   {"test": i, "ok": true|false, "error"?: "..."}       each test, in order
 *
 * Python: the solution runs as the module `solution` (so `if __name__ == "__main__":` demo code does
 * not run), then setup and each test in that module's namespace; an audit hook (which Python code
 * cannot remove) refuses sockets' connect/bind/send and name lookups, starting processes, loading
 * native libraries through ctypes, and writing files outside the temp dir.
 * JavaScript: the solution runs as a classic script in the harness's global scope (leading `export`
 * keywords are dropped; functions put on `module.exports` become globals too), then setup, then each
 * test inside an async function (so a test may `await`); `assert` is node:assert. Node's permission
 * model confines files to the temp dir and forbids child processes, workers, addons and WASI; the
 * harness replaces the socket, datagram and DNS entry points (and fetch) with ones that refuse.
 */

export const PYTHON_HARNESS = String.raw`
import json, os, sys, types

_results = os.fdopen(3, "w", buffering=1, encoding="utf-8")
_root = os.path.realpath(os.getcwd())

def _emit(obj):
    _results.write(json.dumps(obj) + "\n")
    _results.flush()

_NETWORK = {
    "socket.connect", "socket.bind", "socket.sendto", "socket.sendmsg", "socket.getaddrinfo",
    "socket.gethostbyname", "socket.gethostbyaddr", "socket.getnameinfo",
}
_PROCESSES = {"subprocess.Popen", "os.system", "os.exec", "os.posix_spawn", "os.spawn", "os.fork", "os.forkpty", "pty.spawn"}
_NATIVE = {"ctypes.dlopen", "ctypes.dlsym"}
_PATH_EVENTS = {
    "os.remove", "os.rename", "os.rmdir", "os.mkdir", "os.chmod", "os.chown", "os.link", "os.symlink",
    "os.truncate", "shutil.rmtree", "os.utime",
}
_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_TRUNC

def _inside(path):
    if isinstance(path, int):
        return True
    try:
        real = os.path.realpath(os.fsdecode(path))
    except Exception:
        return False
    return real == _root or real.startswith(_root + os.sep)

def _guard(event, args):
    if event in _NETWORK:
        raise PermissionError("maspo sandbox: no network (" + event + ")")
    if event in _PROCESSES:
        raise PermissionError("maspo sandbox: no processes (" + event + ")")
    if event in _NATIVE:
        raise PermissionError("maspo sandbox: no native libraries (" + event + ")")
    if event == "open" and len(args) >= 3 and isinstance(args[2], int) and args[2] & _WRITE_FLAGS and not _inside(args[0]):
        raise PermissionError("maspo sandbox: no writes outside the temp dir (" + str(args[0]) + ")")
    if event in _PATH_EVENTS:
        for p in args[:2] if event in ("os.rename", "os.link", "os.symlink") else args[:1]:
            if isinstance(p, (str, bytes)) and not _inside(p):
                raise PermissionError("maspo sandbox: no changes outside the temp dir (" + event + ")")

def _describe(error):
    text = type(error).__name__ + (": " + str(error) if str(error) else "")
    return text[:500]

with open("tests.json", encoding="utf-8") as f:
    _spec = json.load(f)
with open("solution.py", encoding="utf-8") as f:
    _code = f.read()

sys.addaudithook(_guard)
_emit({"ready": True})

_module = types.ModuleType("solution")
_module.__file__ = os.path.join(_root, "solution.py")
sys.modules["solution"] = _module
try:
    exec(compile(_code, "solution.py", "exec"), _module.__dict__)
    if _spec.get("setup"):
        exec(compile(_spec["setup"], "setup.py", "exec"), _module.__dict__)
except BaseException as error:
    _emit({"load": "error", "error": _describe(error)})
    sys.exit(0)
_emit({"load": "ok"})
for _i, _test in enumerate(_spec["tests"]):
    try:
        exec(compile(_test, "test_" + str(_i + 1) + ".py", "exec"), _module.__dict__)
        _emit({"test": _i, "ok": True})
    except BaseException as error:
        _emit({"test": _i, "ok": False, "error": _describe(error)})
`;

export const JAVASCRIPT_HARNESS = String.raw`
"use strict";
const fs = require("node:fs");
const vm = require("node:vm");
const emit = (obj) => fs.writeSync(3, JSON.stringify(obj) + "\n");
const describe = (error) =>
  String(error && typeof error.message === "string" ? (error.name || "Error") + ": " + error.message : error).slice(0, 500);

const refuse = (what) =>
  function refused() {
    const error = new Error("maspo sandbox: no network (" + what + ")");
    error.code = "ERR_ACCESS_DENIED";
    throw error;
  };
const net = require("node:net");
net.Socket.prototype.connect = refuse("net.Socket.connect");
net.Server.prototype.listen = refuse("net.Server.listen");
const dgram = require("node:dgram");
for (const m of ["bind", "send", "connect"]) dgram.Socket.prototype[m] = refuse("dgram.Socket." + m);
const dns = require("node:dns");
const DNS = ["lookup", "lookupService", "resolve", "resolve4", "resolve6", "resolveAny", "resolveCaa", "resolveCname", "resolveMx",
  "resolveNaptr", "resolveNs", "resolvePtr", "resolveSoa", "resolveSrv", "resolveTxt", "reverse"];
for (const m of DNS) {
  dns[m] = refuse("dns." + m);
  if (dns.promises) dns.promises[m] = refuse("dns.promises." + m);
  if (dns.Resolver && dns.Resolver.prototype[m]) dns.Resolver.prototype[m] = refuse("dns.Resolver." + m);
}
globalThis.fetch = refuse("fetch");
if (globalThis.WebSocket) globalThis.WebSocket = refuse("WebSocket");

const spec = JSON.parse(fs.readFileSync("tests.json", "utf8"));
const code = fs.readFileSync("solution.js", "utf8").replace(/^([ \t]*)export\s+(?:default\s+)?(?=(?:async\s+)?function\b|class\b|const\b|let\b|var\b)/gm, "$1");
emit({ ready: true });

globalThis.assert = require("node:assert");
globalThis.require = require;
globalThis.module = { exports: {} };
globalThis.exports = globalThis.module.exports;

(async () => {
  try {
    vm.runInThisContext(code, { filename: "solution.js" });
    const exported = globalThis.module.exports;
    if (exported && (typeof exported === "object" || typeof exported === "function")) {
      if (typeof exported === "function" && exported.name && !(exported.name in globalThis)) globalThis[exported.name] = exported;
      for (const [name, value] of Object.entries(exported)) if (!(name in globalThis)) globalThis[name] = value;
    }
    if (spec.setup) vm.runInThisContext(spec.setup, { filename: "setup.js" });
  } catch (error) {
    emit({ load: "error", error: describe(error) });
    return;
  }
  emit({ load: "ok" });
  for (let i = 0; i < spec.tests.length; i++) {
    try {
      await vm.runInThisContext("(async () => {\n" + spec.tests[i] + "\n})()", { filename: "test_" + (i + 1) + ".js" });
      emit({ test: i, ok: true });
    } catch (error) {
      emit({ test: i, ok: false, error: describe(error) });
    }
  }
})().then(
  () => process.exit(0),
  (error) => {
    emit({ load: "error", error: describe(error) });
    process.exit(0);
  },
);
`;
