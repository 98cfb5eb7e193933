#!/usr/bin/env bash
# test_clients.sh - two more protocol implementations through ddlgate:
# PyMySQL (pure Python: its own handshake, ed25519 via PyNaCl, LOCAL INFILE,
# unbuffered results) and Perl DBD::MariaDB with server-side prepares
# (COM_STMT_* from libmariadb through a different code path than it_client).
# Env (from run.sh): DG_HOST DG_PORT MARIADB_CERTS IT_WORK_DIR.
set -euo pipefail

: "${DG_PORT:?DG_PORT not set (run via tests/integration/run.sh)}"
export DG_HOST=${DG_HOST:-127.0.0.1} DG_PORT MARIADB_CERTS=${MARIADB_CERTS:-}
FAIL=0

if /usr/bin/python3 -c 'import pymysql' 2> /dev/null; then
timeout 120 /usr/bin/python3 - <<'PY' || FAIL=1
import os, sys, tempfile, traceback
import pymysql
from pymysql.constants import CLIENT

HOST, PORT, CERTS = os.environ["DG_HOST"], int(os.environ["DG_PORT"]), os.environ.get("MARIADB_CERTS")
failed = 0

def conn(user="app", password="apppass", **kw):
    return pymysql.connect(host=HOST, port=PORT, user=user, password=password, database="test",
                           connect_timeout=10, read_timeout=60, write_timeout=60, **kw)

def case(fn):
    global failed
    name = "pymysql_" + fn.__name__
    try:
        skip = fn()
        print(f"ok - {name}" + (f" # SKIP {skip}" if skip else ""))
    except Exception as e:
        failed += 1
        print(f"not ok - {name}: {type(e).__name__}: {e}".replace("\n", " ")[:400])
        traceback.print_exc(file=sys.stderr)
    sys.stdout.flush()
    return fn

def fixture(*stmts):
    # DROP/CREATE straight to MariaDB: not under test here, and ddlgate's
    # default policy holds DROP TABLE for an approval
    mp = os.environ.get("MARIADB_PORT")
    c = (pymysql.connect(host="127.0.0.1", port=int(mp), user="root", password="", database="test")
         if mp else conn())
    with c, c.cursor() as cur:
        for s in stmts:
            cur.execute(s)

def one(c, sql, args=None):
    with c.cursor() as cur:
        cur.execute(sql, args)
        return cur.fetchone()[0]

@case
def native_auth():
    with conn() as c:
        assert one(c, "SELECT CURRENT_USER()") == "app@%"

@case
def ed25519_auth():
    with conn("ed", "edpass") as c:
        assert one(c, "SELECT CURRENT_USER()") == "ed@%"

@case
def wrong_password():
    try:
        conn("app", "nope").close()
    except pymysql.err.OperationalError as e:
        assert e.args[0] == 1045, e.args
        return
    raise AssertionError("login with a wrong password succeeded")

@case
def executemany_and_transactions():
    fixture("DROP TABLE IF EXISTS it_py", "CREATE TABLE it_py (id INT PRIMARY KEY, s VARCHAR(50), b BLOB)")
    with conn() as c, c.cursor() as cur:
        cur.executemany("INSERT INTO it_py VALUES (%s, %s, %s)",
                        [(i, f"s{i}\u00e9", bytes([i % 256]) * 100) for i in range(1, 1001)])
        c.commit()
        cur.execute("INSERT INTO it_py VALUES (5000, 'rolled back', NULL)")
        c.rollback()
        cur.execute("SELECT COUNT(*), SUM(id), SUM(LENGTH(b)) FROM it_py")
        assert cur.fetchone() == (1000, 500500, 100000)
        cur.execute("SELECT s, b FROM it_py WHERE id = %s", (300,))
        assert cur.fetchone() == ("s300\u00e9", bytes([300 % 256]) * 100)

@case
def unbuffered_large_result():
    with conn(cursorclass=pymysql.cursors.SSCursor) as c, c.cursor() as cur:
        cur.execute("SELECT seq, REPEAT('y', 50) FROM seq_1_to_100000")
        n = s = 0
        for row in cur:
            n += 1
            s += row[0]
        assert (n, s) == (100000, 100000 * 100001 // 2), (n, s)

@case
def multi_statements_and_callproc():
    with conn(client_flag=CLIENT.MULTI_STATEMENTS) as c, c.cursor() as cur:
        cur.execute("SELECT 1; SELECT 2, 3; SELECT 'x'")
        got = [cur.fetchall()]
        while cur.nextset():
            got.append(cur.fetchall())
        assert got == [((1,),), ((2, 3),), (("x",),)], got
        cur.execute("DROP PROCEDURE IF EXISTS it_py_p")
        cur.execute("CREATE PROCEDURE it_py_p(IN a INT) BEGIN SELECT a; SELECT a * 2; END")
        cur.callproc("it_py_p", (21,))
        sets = [cur.fetchall()]
        while cur.nextset():
            sets.append(cur.fetchall())
        assert sets[0] == ((21,),) and sets[1] == ((42,),), sets
        cur.execute("DROP PROCEDURE it_py_p")

@case
def load_data_local():
    with tempfile.NamedTemporaryFile("w", suffix=".tsv", delete=False) as f:
        for i in range(1, 5001):
            f.write(f"{i}\tname{i}\n")
        path = f.name
    try:
        fixture("DROP TABLE IF EXISTS it_py_in", "CREATE TABLE it_py_in (id INT PRIMARY KEY, n VARCHAR(20))")
        with conn(local_infile=True) as c, c.cursor() as cur:
            cur.execute(f"LOAD DATA LOCAL INFILE '{path}' INTO TABLE it_py_in")
            cur.execute("SELECT COUNT(*), SUM(id) FROM it_py_in")
            assert cur.fetchone() == (5000, 5000 * 5001 // 2)
        fixture("DROP TABLE it_py_in")
    finally:
        os.unlink(path)

@case
def select_db_ping_kill():
    with conn() as a, conn() as b:
        a.select_db("test")
        assert one(a, "SELECT DATABASE()") == "test"
        a.ping(reconnect=False)
        bid = b.thread_id()
        assert one(b, "SELECT CONNECTION_ID()") == bid
        a.kill(bid)
        try:
            for _ in range(50):
                one(b, "SELECT 1")
                import time; time.sleep(0.1)
        except (pymysql.err.OperationalError, pymysql.err.InterfaceError):
            pass
        else:
            raise AssertionError("killed connection still answers")
        assert one(a, "SELECT 'alive'") == "alive"

@case
def tls_verified():
    if not CERTS:
        return "MARIADB_CERTS not set"
    # the certificate names IP 127.0.0.1: verify the chain and the identity
    tls = dict(ssl_ca=os.path.join(CERTS, "ca.pem"), ssl_verify_cert=True, ssl_verify_identity=True)
    with conn("tlsuser", "tlspass", **tls) as c:
        assert one(c, "SELECT CURRENT_USER()") == "tlsuser@%"
    with conn("ed", "edpass", **tls) as c:
        assert one(c, "SELECT 1") == 1

fixture("DROP TABLE IF EXISTS it_py")
sys.exit(1 if failed else 0)
PY
else
    echo "ok - pymysql # SKIP python3-pymysql not installed"
fi

if perl -MDBD::MariaDB -e 1 2> /dev/null; then
timeout 120 perl - <<'PL' || FAIL=1
use strict;
use warnings;
use DBI qw(:sql_types);

my ($host, $port, $certs) = ($ENV{DG_HOST}, $ENV{DG_PORT}, $ENV{MARIADB_CERTS});
my $failed = 0;
sub dbh {
    my ($user, $pass, %extra) = @_;
    my $dsn = "DBI:MariaDB:database=test;host=$host;port=$port;mariadb_server_prepare=1;"
            . "mariadb_connect_timeout=10;mariadb_read_timeout=60";
    $dsn .= ";$_=$extra{$_}" for sort keys %extra;
    return DBI->connect($dsn, $user, $pass, { RaiseError => 1, PrintError => 0, AutoCommit => 1 });
}
sub fixture {
    # DROP/CREATE straight to MariaDB (not under test; gated by ddlgate)
    my $d = $ENV{MARIADB_PORT}
        ? DBI->connect("DBI:MariaDB:database=test;host=127.0.0.1;port=$ENV{MARIADB_PORT}", 'root', '',
                       { RaiseError => 1, PrintError => 0 })
        : dbh('app', 'apppass');
    $d->do($_) for @_;
    $d->disconnect;
}
sub case {
    my ($name, $code) = @_;
    my $ok = eval { $code->(); 1 };
    if ($ok) { print "ok - dbd_$name\n" }
    else { my $e = $@; $e =~ s/\s+/ /g; print "not ok - dbd_$name: ", substr($e, 0, 300), "\n"; $failed++ }
}

case('server_prepare_types', sub {
    fixture('DROP TABLE IF EXISTS it_dbd',
            'CREATE TABLE it_dbd (id INT PRIMARY KEY, f DOUBLE, s VARCHAR(40), b LONGBLOB, d DATE)');
    my $d = dbh('app', 'apppass');
    my $ins = $d->prepare('INSERT INTO it_dbd VALUES (?, ?, ?, ?, ?)');
    for my $i (1 .. 200) {
        $ins->bind_param(1, $i, SQL_INTEGER);
        $ins->bind_param(2, $i / 4, SQL_DOUBLE);
        $ins->bind_param(3, "str$i");
        $ins->bind_param(4, chr($i % 256) x (1000 * $i), SQL_BLOB);
        $ins->bind_param(5, sprintf('2024-01-%02d', 1 + $i % 28));
        $ins->execute;
    }
    my $sel = $d->prepare('SELECT id, f, s, LENGTH(b), b, d FROM it_dbd WHERE id > ? ORDER BY id');
    $sel->execute(190);
    my $n = 0;
    while (my $r = $sel->fetchrow_arrayref) {
        my $i = 191 + $n++;
        die "row $i differs" unless $r->[0] == $i && $r->[1] == $i / 4 && $r->[2] eq "str$i"
            && $r->[3] == 1000 * $i && $r->[4] eq chr($i % 256) x (1000 * $i)
            && $r->[5] eq sprintf('2024-01-%02d', 1 + $i % 28);
    }
    die "got $n rows" unless $n == 10;
    my ($cnt) = $d->selectrow_array('SELECT COUNT(*) FROM it_dbd WHERE s LIKE ?', undef, 'str1%');
    die "count $cnt" unless $cnt == 111;
    eval { $d->do('INSERT INTO it_dbd (id) VALUES (?)', undef, 1); 1 } and die 'duplicate accepted';
    die 'wrong error ' . $d->err unless $d->err == 1062;
    $d->disconnect;
    fixture('DROP TABLE it_dbd');
});

case('multi_statements', sub {
    my $d = dbh('app', 'apppass', mariadb_multi_statements => 1, mariadb_server_prepare => 0);
    my $sth = $d->prepare('SELECT 1; SELECT 2, 3');
    $sth->execute;
    my @sets;
    do { push @sets, $sth->fetchall_arrayref } while ($sth->more_results);
    die 'got ' . scalar(@sets) . ' sets' unless @sets == 2 && $sets[1][0][1] == 3;
    $d->disconnect;
});

case('ed25519_tls', sub {
    my $d = dbh('ed', 'edpass');
    my ($u) = $d->selectrow_array('SELECT CURRENT_USER()');
    die "user $u" unless $u eq 'ed@%';
    $d->disconnect;
    return unless $certs;
    $d = dbh('tlsuser', 'tlspass', mariadb_ssl => 1, mariadb_ssl_ca_file => "$certs/ca.pem",
             mariadb_ssl_verify_server_cert => 1);
    ($u) = $d->selectrow_array('SELECT CURRENT_USER()');
    die "user $u" unless $u eq 'tlsuser@%';
    $d->disconnect;
});

exit($failed ? 1 : 0);
PL
else
    echo "ok - dbd # SKIP DBD::MariaDB not installed"
fi
exit $FAIL
