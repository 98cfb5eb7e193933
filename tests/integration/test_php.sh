#!/usr/bin/env bash
# test_php.sh - PHP's mysqlnd through ddlgate: a third, independent
# implementation of the client protocol (after Connector/C and PyMySQL),
# driven through mysqli and PDO: server-side prepares (binary protocol,
# long data), multi-results, unbuffered results, the compressed protocol,
# TLS with verification, LOAD DATA LOCAL, COM_CHANGE_USER, and a ddlgate
# refusal the driver must surface as an ordinary error; a caching_sha2_password
# login to the admin console, and its prepared statements (mysqli, PDO with
# emulation off), stat(), multi_query and change_user.
# Env (from run.sh): DG_HOST DG_PORT MARIADB_PORT MARIADB_CERTS IT_WORK_DIR.
set -euo pipefail

: "${DG_PORT:?DG_PORT not set (run via tests/integration/run.sh)}"
if ! command -v php > /dev/null || ! php -m 2> /dev/null | grep -qx mysqli; then
    echo "ok - php_mysqlnd # SKIP php / php-mysql not installed (scripts/deps.sh installs them)"
    exit 0
fi
export DG_HOST=${DG_HOST:-127.0.0.1} DG_PORT MARIADB_PORT=${MARIADB_PORT:-} MARIADB_CERTS=${MARIADB_CERTS:-}
T=$(mktemp -d "${IT_WORK_DIR:-/tmp}/php.XXXXXX")
export PHP_T=$T
seq 1 3000 > "$T/infile.txt"

timeout 180 php -d mysqli.allow_local_infile=1 -d error_reporting=E_ALL -d display_errors=stderr -r '
mysqli_report(MYSQLI_REPORT_ERROR | MYSQLI_REPORT_STRICT);
$host = getenv("DG_HOST"); $port = (int)getenv("DG_PORT");
$certs = getenv("MARIADB_CERTS"); $mport = getenv("MARIADB_PORT"); $tmp = getenv("PHP_T");
$failed = 0;

function check(string $name, callable $fn): void {
    global $failed;
    try {
        $skip = $fn();
        echo "ok - php_$name" . ($skip ? " # SKIP $skip" : "") . "\n";
    } catch (Throwable $e) {
        $failed++;
        $msg = str_replace("\n", " ", get_class($e) . ": " . $e->getMessage());
        echo "not ok - php_$name: " . substr($msg, 0, 400) . "\n";
    }
}
function expect($got, $want, string $what): void {
    if ($got !== $want)
        throw new Exception("$what: got " . var_export($got, true) . ", want " . var_export($want, true));
}
function conn(int $flags = 0, ?array $ssl = null, string $user = "app", string $pw = "apppass"): mysqli {
    global $host, $port;
    $m = mysqli_init();
    $m->options(MYSQLI_OPT_CONNECT_TIMEOUT, 10);
    $m->options(MYSQLI_OPT_READ_TIMEOUT, 60);
    $m->options(MYSQLI_OPT_LOCAL_INFILE, true);
    if ($ssl) {
        $m->ssl_set(null, null, $ssl["ca"], null, null);
        $m->options(MYSQLI_OPT_SSL_VERIFY_SERVER_CERT, true);
        $flags |= MYSQLI_CLIENT_SSL;
    }
    $m->real_connect($host, $user, $pw, "test", $port, null, $flags);
    return $m;
}
// fixtures straight to MariaDB: DROP/CREATE are not under test here
function fixture(string ...$stmts): void {
    global $mport;
    $m = $mport ? new mysqli("127.0.0.1", "root", "", "test", (int)$mport) : conn();
    foreach ($stmts as $s) $m->query($s);
    $m->close();
}
fixture("DROP TABLE IF EXISTS php_t",
        "CREATE TABLE php_t (id INT AUTO_INCREMENT PRIMARY KEY, v VARCHAR(64), b LONGBLOB, d DECIMAL(10,2), t DATETIME(3))");

check("query_fetch", function () {
    $m = conn();
    expect($m->query("SELECT CONCAT(\"a\", 1), 2+2")->fetch_row(), ["a1", "4"], "row");
    expect($m->query("SELECT CURRENT_USER()")->fetch_row()[0], "app@%", "user");
});

check("mysqli_prepared_binary_protocol", function () {
    $m = conn();
    $st = $m->prepare("INSERT INTO php_t (v, d, t) VALUES (?, ?, ?)");
    for ($i = 1; $i <= 50; $i++) {
        $v = "row-$i"; $d = $i + 0.25; $t = "2026-11-25 10:00:00.123";
        $st->bind_param("sds", $v, $d, $t);
        $st->execute();
    }
    $st->close();
    $st = $m->prepare("SELECT id, v, d, t FROM php_t WHERE id > ? ORDER BY id");
    $min = 0;
    $st->bind_param("i", $min);
    $st->execute();
    $rows = $st->get_result()->fetch_all(MYSQLI_NUM);
    expect(count($rows), 50, "rows");
    expect($rows[49][1], "row-50", "last v");
    expect($rows[0][2], "1.25", "decimal");
    expect($rows[0][3], "2026-11-25 10:00:00.123", "datetime(3)");
    expect(is_int($rows[0][0]), true, "binary protocol gives ints");
});

check("mysqli_send_long_data", function () {
    $m = conn();
    $blob = random_bytes(3 * 1024 * 1024);
    $st = $m->prepare("INSERT INTO php_t (v, b) VALUES (\"blob\", ?)");
    $null = null;
    $st->bind_param("b", $null);
    foreach (str_split($blob, 256 * 1024) as $chunk) $st->send_long_data(0, $chunk);
    $st->execute();
    $id = $m->insert_id;
    $r = $m->query("SELECT b FROM php_t WHERE id = $id")->fetch_row()[0];
    expect(md5($r), md5($blob), "blob round trip");
});

check("pdo_server_side_prepares", function () {
    global $host, $port;
    $pdo = new PDO("mysql:host=$host;port=$port;dbname=test", "app", "apppass", [
        PDO::ATTR_ERRMODE => PDO::ERRMODE_EXCEPTION, PDO::ATTR_EMULATE_PREPARES => false,
        PDO::ATTR_TIMEOUT => 10]);
    $st = $pdo->prepare("SELECT v FROM php_t WHERE v = :v");
    foreach (["row-7", "row-8", "none"] as $want) {
        $st->execute([":v" => $want]);
        $got = $st->fetchColumn();
        expect($got, $want === "none" ? false : $want, "pdo $want");
        $st->closeCursor();
    }
    $pdo->beginTransaction();
    $pdo->prepare("INSERT INTO php_t (v) VALUES (?)")->execute(["pdo"]);
    $id = (int)$pdo->lastInsertId();
    $pdo->rollBack();
    expect($pdo->query("SELECT COUNT(*) FROM php_t WHERE id = $id")->fetchColumn(), 0, "rolled back");
});

check("multi_query_results", function () {
    $m = conn();
    $m->multi_query("SELECT 1; SELECT 2 UNION SELECT 3; DO 0; SELECT \"end\"");
    $out = [];
    do {
        if ($r = $m->store_result()) {
            foreach ($r->fetch_all(MYSQLI_NUM) as $row) $out[] = $row[0];
            $r->free();
        }
    } while ($m->more_results() && $m->next_result());
    expect($out, ["1", "2", "3", "end"], "results");
    expect($m->query("SELECT 9")->fetch_row()[0], "9", "after multi");
});

check("unbuffered_large_result", function () {
    $m = conn();
    $r = $m->query("SELECT seq FROM seq_1_to_100000", MYSQLI_USE_RESULT);
    $n = 0; $sum = 0;
    while ($row = $r->fetch_row()) { $n++; $sum += (int)$row[0]; }
    $r->free();
    expect([$n, $sum], [100000, 5000050000], "count/sum");
});

check("compressed_protocol", function () {
    $m = conn(MYSQLI_CLIENT_COMPRESS);
    expect($m->query("SHOW SESSION STATUS LIKE \"Compression\"")->fetch_row()[1] !== null, true, "status");
    $r = $m->query("SELECT seq, REPEAT(\"z\", 200) FROM seq_1_to_20000");
    $n = 0;
    while ($row = $r->fetch_row()) { if (strlen($row[1]) !== 200) throw new Exception("bad row"); $n++; }
    expect($n, 20000, "rows");
    $st = $m->prepare("SELECT ? + 1");
    $x = 41; $st->bind_param("i", $x); $st->execute();
    expect($st->get_result()->fetch_row()[0], 42, "prepared over compression");
});

check("tls_verified", function () {
    global $certs;
    if (!$certs) return "no certificates (sandbox without TLS)";
    $m = conn(0, ["ca" => "$certs/ca.pem"], "tlsuser", "tlspass");
    $c = $m->query("SHOW SESSION STATUS LIKE \"Ssl_cipher\"")->fetch_row()[1];
    if ($c === "") throw new Exception("backend leg without TLS");
    expect($m->query("SELECT CURRENT_USER()")->fetch_row()[0], "tlsuser@%", "user");
});

check("load_data_local_infile", function () {
    global $tmp;
    $m = conn();
    $m->query("CREATE TEMPORARY TABLE php_li (v INT)");
    $m->query("LOAD DATA LOCAL INFILE \"$tmp/infile.txt\" INTO TABLE php_li");
    expect($m->query("SELECT COUNT(*), SUM(v) FROM php_li")->fetch_row(), ["3000", "4501500"], "loaded");
});

check("change_user", function () {
    $m = conn();
    $m->query("SET @x = 5");
    // (mysqlnd has no client_ed25519: the native-password root account)
    $m->change_user("root", "", "test");
    expect($m->query("SELECT CURRENT_USER(), @x")->fetch_row(), ["root@127.0.0.1", null], "after change_user");
    $m->change_user("app", "apppass", "test");
    expect($m->query("SELECT CURRENT_USER()")->fetch_row()[0], "app@%", "and back");
});

check("ddlgate_refusal_is_an_error", function () {
    $m = conn();
    try {
        // a type change that only COPY can do: refused by the default rules
        $m->query("ALTER TABLE php_t MODIFY v INT");
        throw new Exception("COPY-only ALTER was not refused");
    } catch (mysqli_sql_exception $e) {
        if ($e->getCode() < 7000 || $e->getCode() > 7199)
            throw new Exception("unexpected error " . $e->getCode() . " " . $e->getMessage());
        if (!preg_match("/DG[0-9]{3}/", $e->getMessage())) throw new Exception("no rule id: " . $e->getMessage());
    }
    expect($m->query("SELECT COUNT(*) > 0 FROM php_t")->fetch_row()[0], "1", "connection usable");
});

// the admin console greets with caching_sha2_password by default: mysqlnd
// answers with its own fast-path scramble (mysqli and PDO)
check("admin_caching_sha2_login", function () use ($host) {
    $aport = (int)getenv("DG_ADMIN_PORT");
    $auser = getenv("DG_ADMIN_USER") ?: "admin";
    $apass = getenv("DG_ADMIN_PASSWORD");
    if (!$aport || !$apass) return "no admin port (DG_TARGET=direct)";
    $a = new mysqli($host, $auser, $apass, "", $aport);
    $rules = array_column($a->query("SHOW RULES")->fetch_all(), 0);
    if (!in_array("DG005", $rules, true)) throw new Exception("SHOW RULES has no DG005 row");
    $a->close();
    $pdo = new PDO("mysql:host=$host;port=$aport", $auser, $apass,
                   [PDO::ATTR_ERRMODE => PDO::ERRMODE_EXCEPTION]);
    expect($pdo->query("SELECT @@version_comment")->fetchColumn(), "ddlgate admin console", "PDO");
    try {
        new mysqli($host, $auser, $apass . "x", "", $aport);
        throw new Exception("logged in with a wrong password");
    } catch (mysqli_sql_exception $e) {
        expect($e->getCode(), 1045, "wrong password error");
    }
});

// the admin console through the other mysqlnd paths: server-side prepares
// (mysqli->prepare, PDO with emulation off: binary-protocol result sets),
// stat() (COM_STATISTICS), multi_query (COM_SET_OPTION around the query),
// change_user (COM_CHANGE_USER)
check("admin_prepared_stat_change_user", function () use ($host) {
    $aport = (int)getenv("DG_ADMIN_PORT");
    $auser = getenv("DG_ADMIN_USER") ?: "admin";
    $apass = getenv("DG_ADMIN_PASSWORD");
    if (!$aport || !$apass) return "no admin port (DG_TARGET=direct)";
    $a = new mysqli($host, $auser, $apass, "", $aport);
    $st = $a->prepare("SHOW RULES");
    expect($st->param_count, 0, "param_count");
    expect($st->field_count, 7, "field_count");
    $st->execute();
    $rows = $st->get_result()->fetch_all(MYSQLI_ASSOC);
    $st->close();
    $dg005 = array_values(array_filter($rows, fn($r) => $r["id"] === "DG005"));
    expect(count($dg005), 1, "DG005 rows");
    expect($dg005[0]["name"], "drop-table", "DG005 name");
    expect(array_keys($dg005[0]), ["id", "name", "mode", "scope", "hits", "default", "configured"], "columns");
    $text = $a->query("SHOW RULES")->fetch_all(MYSQLI_ASSOC);
    expect(count($rows), count($text), "binary rows = text rows");
    $st = $a->prepare("SELECT NULL AS n, \"v\" AS s");
    $st->execute();
    expect($st->get_result()->fetch_row(), [null, "v"], "NULL bitmap");
    $st->close();
    try {
        $a->prepare("SET RULE ? = off");
        throw new Exception("a ? parameter was accepted");
    } catch (mysqli_sql_exception $e) {
        expect($e->getCode(), 7300, "? at prepare");
    }
    $stat = $a->stat();
    if (!preg_match("/^Uptime: \\d+  Threads: \\d+  Questions: \\d+/", (string)$stat))
        throw new Exception("stat(): " . var_export($stat, true));
    expect($a->multi_query("SHOW HELP"), true, "multi_query");
    $r = $a->store_result();
    if (!$r || $r->num_rows < 5) throw new Exception("multi_query SHOW HELP: no rows");
    $r->free();
    while ($a->more_results() && $a->next_result()) {}
    expect($a->change_user($auser, $apass, ""), true, "change_user");
    expect($a->query("SELECT @@version_comment")->fetch_row()[0], "ddlgate admin console", "after change_user");
    $a->close();
    $pdo = new PDO("mysql:host=$host;port=$aport", $auser, $apass,
                   [PDO::ATTR_ERRMODE => PDO::ERRMODE_EXCEPTION, PDO::ATTR_EMULATE_PREPARES => false]);
    $rows = $pdo->query("SHOW RULES")->fetchAll(PDO::FETCH_NUM);
    if (!in_array("DG005", array_column($rows, 0), true)) throw new Exception("PDO SHOW RULES: no DG005");
    $ps = $pdo->prepare("SHOW CONFIG");
    $ps->execute();
    $cfg = $ps->fetchAll(PDO::FETCH_ASSOC);
    if (!array_filter($cfg, fn($r) => $r["section"] === "admin" && $r["key"] === "password" && $r["value"] === "***"))
        throw new Exception("PDO SHOW CONFIG: no admin.password row");
    $ps->execute(); // a second run of the same statement
    expect(count($ps->fetchAll()), count($cfg), "re-executed");
    $pdo->prepare("SET RULE DG016 = warn")->execute();
    expect($pdo->query("SELECT @@version_comment")->fetchColumn(), "ddlgate admin console", "PDO probe");
});

fixture("DROP TABLE IF EXISTS php_t");
exit($failed ? 1 : 0);
'
