"""Connection settings of the Redis clients a file builds: where they connect, with
which credentials, over TLS or not, with a socket timeout or not.

The connection rules (RL401-RL404) all ask the same questions of one construction:
is the host loopback, are credentials given, is a password written literally, is
the transport encrypted, is there a socket timeout. redis-py accepts these in many
places, and this module is the one place that knows them:

- constructor arguments (`Redis(host=..., password=..., ssl=True)`, also the first
  positional ones: host, port, db, password, socket_timeout);
- `from_url` URLs (`redis://user:pass@host:6379/0`, `rediss://`, `unix://`, query
  parameters such as `?password=`, `?socket_timeout=`), parsed with `urllib.parse`
  the way redis-py's own `parse_url` reads them;
- a `connection_pool=` (or `from_pool`) built by `ConnectionPool(...)` /
  `ConnectionPool.from_url(...)`: redis-py then ignores the client's own arguments;
- Sentinel nodes (`Sentinel([("10.0.0.1", 26379)])`, with `sentinel_kwargs` and the
  `master_for` / `slave_for` calls made on that Sentinel) and cluster nodes
  (`RedisCluster(startup_nodes=[ClusterNode(...)])`);
- Django / Celery / RQ settings literals (`CACHES[...]["LOCATION"]`,
  `CELERY_BROKER_URL`, `CELERY_RESULT_BACKEND`, `RQ_QUEUES`, `broker_url`,
  `Celery(broker=...)`) when they are literal Redis URLs.

Every setting is three-valued: known to be given, known to be absent, or unknown
(`**kwargs`, a pool or URL that cannot be read). A host read from the environment
is unknown, and an unknown answer never produces a finding. A password counts as
*literal* only when its value is a string constant (directly or through module
constants); anything computed (os.environ, a settings object) is a credential, but
never a hard-coded one.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, unquote, urlsplit

import libcst as cst

from redislint.semantics import ir

if TYPE_CHECKING:
    from redislint.semantics.model import FileModel, RedisCall
    from redislint.semantics.scopes import Binding, CallSite, ModuleFacts

REDIS_SCHEMES = frozenset({"redis", "rediss", "unix"})
DEFAULT_PORT = 6379
MASK = "***"
# Stands for computed text inside a URL template (`f"redis://:{pw}@host"`).
UNKNOWN = "\x00"

_UNKNOWN = object()  # a value that cannot be read statically

# Keyword arguments that authenticate a connection (redis-py sends AUTH when given).
_CREDENTIAL_PARAMS = ("password", "username", "credential_provider")
# The first positional parameters of redis.Redis / redis.asyncio.Redis (stable since 3.x).
_REDIS_POSITIONAL = ("host", "port", "db", "password", "socket_timeout")
_CLUSTER_POSITIONAL = ("host", "port", "startup_nodes")

_CLIENT_SUFFIXES = ("Redis", "StrictRedis", "RedisCluster")
_PACKAGES = ("redis", "redis.client", "redis.cluster", "redis.asyncio", "redis.asyncio.client")
_PACKAGES_ALL = (*_PACKAGES, "redis.asyncio.cluster", "redis.sentinel", "redis.asyncio.sentinel")
_POOLS = frozenset(
    f"{package}.{name}"
    for package in (
        "redis",
        "redis.connection",
        "redis.asyncio",
        "redis.asyncio.connection",
    )
    for name in ("ConnectionPool", "BlockingConnectionPool")
)
_SENTINELS = frozenset(f"{p}.Sentinel" for p in _PACKAGES_ALL)
_CLUSTER_NODES = frozenset(
    {"redis.cluster.ClusterNode", "redis.asyncio.cluster.ClusterNode", "redis.asyncio.ClusterNode"}
)
_SSL_CONNECTIONS = frozenset(
    f"{p}.SSLConnection"
    for p in ("redis", "redis.connection", "redis.asyncio", "redis.asyncio.connection")
)
_UNIX_CONNECTIONS = frozenset(
    f"{p}.UnixDomainSocketConnection"
    for p in ("redis", "redis.connection", "redis.asyncio", "redis.asyncio.connection")
)
# Names whose call builds a client or pool: the cheap filter before resolving.
_CONSTRUCTOR_NAMES = frozenset(
    {
        "Redis",
        "StrictRedis",
        "RedisCluster",
        "Sentinel",
        "from_url",
        "from_pool",
        "ConnectionPool",
        "BlockingConnectionPool",
        "Celery",
    }
)

# Settings names (module level) whose value is a broker / backend URL.
_URL_SETTINGS = frozenset(
    {
        "CELERY_BROKER_URL",
        "BROKER_URL",
        "CELERY_RESULT_BACKEND",
        "broker_url",
        "result_backend",
        "REDIS_URL",
    }
)


@dataclass(frozen=True)
class Endpoint:
    """One server a construction connects to. `host` None means unknown."""

    host: str | None
    port: int | None = DEFAULT_PORT
    unix_path: str | None = None

    @property
    def is_loopback(self) -> bool | None:
        """True for 127.0.0.0/8, ::1, localhost and Unix sockets; None when unknown."""
        if self.unix_path is not None:
            return True
        if self.host is None:
            return None
        return is_loopback_host(self.host)

    def describe(self) -> str:
        if self.unix_path is not None:
            return f"unix:{self.unix_path}"
        host = self.host or "?"
        if ":" in host:
            host = f"[{host}]"
        return host if self.port is None else f"{host}:{self.port}"


@dataclass(frozen=True)
class LiteralSecret:
    """A password written as a literal, and where (never the password itself)."""

    node: cst.CSTNode
    where: str  # "password=", "the URL 'redis://:***@host/0'", "OPTIONS['PASSWORD']"


@dataclass
class Connection:
    """The settings of one client construction (or one settings literal).

    `credentials`, `tls` and `socket_timeout` are True (given), False (absent) or None
    (cannot be told). `endpoints` is empty when the servers cannot be told.
    """

    node: cst.CSTNode  # where findings point: the constructor call or the settings value
    statement: cst.CSTNode | None
    what: str  # "Redis(...)", "from_url(...)", "Sentinel(...)", "setting CACHES"
    endpoints: tuple[Endpoint, ...] = ()
    credentials: bool | None = False
    tls: bool | None = False
    socket_timeout: bool | None = False
    secrets: list[LiteralSecret] = field(default_factory=list)
    is_setting: bool = False
    # a ConnectionPool: only its literal password is judged here (RL403); the client
    # built on it is judged with the pool's settings
    is_pool: bool = False

    def exposed(self) -> list[Endpoint]:
        """The endpoints known not to be loopback."""
        return [e for e in self.endpoints if e.is_loopback is False]


def is_loopback_host(host: str) -> bool:
    """Loopback: 127.0.0.0/8, ::1, `localhost` (and `*.localhost`, RFC 6761); also the
    unspecified address 0.0.0.0 / ::, which a client's connect() reaches on this host."""
    name = host.strip().strip("[]").rstrip(".").lower()
    if name == "localhost" or name.endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(name.split("%")[0])
    except ValueError:
        return False
    return address.is_loopback or address.is_unspecified


def mask_url(url: str) -> str:
    """The URL with its password (userinfo or `?password=`) replaced by ***."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return MASK
    netloc = parts.netloc
    if parts.password is not None:
        userinfo, _, hostinfo = netloc.rpartition("@")
        user = userinfo.partition(":")[0]
        netloc = f"{user}:{MASK}@{hostinfo}"
    query = parts.query
    if query:
        pieces = []
        for piece in query.split("&"):
            name, sep, _value = piece.partition("=")
            pieces.append(f"{name}={MASK}" if sep and name.lower() == "password" else piece)
        query = "&".join(pieces)
    return parts._replace(netloc=netloc, query=query).geturl()


@dataclass(frozen=True)
class ParsedUrl:
    """What redis-py's `parse_url` takes from a Redis URL (no exceptions, no network)."""

    endpoint: Endpoint
    has_credentials: bool | None
    has_password: bool  # a literal password (userinfo or ?password=)
    tls: bool | None
    socket_timeout: bool | None
    masked: str


def parse_redis_url(url: str) -> ParsedUrl | None:
    """A `redis://`, `rediss://` or `unix://` URL, read like redis-py reads it; None for
    any other URL (postgres://, https://, memcache://) or a malformed one.

    `url` may hold UNKNOWN marks where its text is computed (`f"redis://:{pw}@host"`):
    a mark in the host makes the host unknown, a mark in the password makes it a
    credential that is not literal, and a mark that may hide query options makes the
    options it could hold unknown (None).
    """
    try:
        parts = urlsplit(url.strip())
        scheme = parts.scheme.lower()
        if scheme not in REDIS_SCHEMES:
            return None
        query = parse_qs(parts.query)
        hostname = parts.hostname
        username, password = parts.username, parts.password
    except ValueError:
        return None
    try:
        port = parts.port
    except ValueError:
        port = None
        if UNKNOWN not in parts.netloc:
            return None
    # computed text after the userinfo may hold anything, options included
    hidden = any(
        UNKNOWN in text for text in (parts.netloc.rpartition("@")[2], parts.path, parts.query)
    )
    query_password = query.get("password", [""])[0]
    has_password = (password is not None and password != "" and UNKNOWN not in password) or (
        query_password != "" and UNKNOWN not in query_password
    )
    named = bool(password) or bool(username) or bool(query_password)
    named = named or bool(query.get("username", [""])[0])
    credentials: bool | None = True if named else (None if hidden else False)
    timeout = query.get("socket_timeout", [""])[0]
    if scheme == "unix":
        endpoint = Endpoint(None, None, unquote(parts.path) or "/")
    elif hostname is not None and UNKNOWN in hostname:
        endpoint = Endpoint(None)
    else:
        endpoint = Endpoint(unquote(hostname) if hostname else "localhost", port or DEFAULT_PORT)
    ssl_query = query.get("ssl", [""])[0].lower() in ("true", "1", "yes")
    tls: bool | None = scheme == "rediss" or ssl_query or (None if hidden else False)
    has_timeout = bool(timeout) and timeout.lower() != "none"
    return ParsedUrl(
        endpoint=endpoint,
        has_credentials=credentials,
        has_password=has_password,
        tls=tls,
        socket_timeout=True if has_timeout else (None if hidden else False),
        masked=mask_url(url).replace(UNKNOWN, "{...}"),
    )


# -- reading argument values -----------------------------------------------------------


class _Reader:
    """Reads literal values of expressions in one module (through module constants)."""

    def __init__(self, model: FileModel, facts: ModuleFacts, scope: str) -> None:
        self.model = model
        self.facts = facts
        self.scope = scope

    def literal(self, expr: ir.IR | None, depth: int = 0) -> object:
        """A str, int, float, bool or None when the value is a constant, else _UNKNOWN."""
        if expr is None:
            return _UNKNOWN
        if isinstance(expr, ir.Const):
            return expr.value
        if isinstance(expr, ir.Num):
            return expr.value
        if isinstance(expr, ir.Str):
            return expr.value
        if isinstance(expr, ir.Name) and depth < 8:
            found = self.model.resolver.lookup(self.facts, self.scope, expr.id)
            if found is not None:
                bindings = found[1]
                if bindings and all(b.kind == "assign" for b in bindings):
                    values = {
                        _hashable(
                            _Reader(self.model, self.facts, b.scope).literal(b.value, depth + 1)
                        )
                        for b in bindings
                    }
                    if len(values) == 1:
                        value = values.pop()
                        if value is not _UNKNOWN and not isinstance(value, str):
                            return value
        text = self.model.keys.constant(self.facts, self.scope, expr, environment_defaults=False)
        return text if text is not None else _UNKNOWN

    def string(self, expr: ir.IR | None) -> str | None:
        value = self.literal(expr)
        return value if isinstance(value, str) else None

    def qualified(self, expr: ir.IR) -> str | None:
        return self.model.resolver.qualified(self.facts, self.scope, expr)

    def template(self, expr: ir.IR | None) -> str | None:
        """The text of a string expression with UNKNOWN where it is computed (from the
        key resolver's glob, whose literal `*?[` are escaped as `[*]`), or None."""
        if expr is None:
            return None
        glob = self.model.keys.glob(self.facts, self.scope, expr, whole=True)
        if glob is None:
            return None
        text = []
        i = 0
        while i < len(glob):
            char = glob[i]
            if char == "[" and i + 2 < len(glob) and glob[i + 2] == "]":
                text.append(glob[i + 1])
                i += 3
                continue
            text.append(UNKNOWN if char == "*" else char)
            i += 1
        return "".join(text)

    def binding(self, expr: ir.IR | None) -> Binding | None:
        """The one assignment that gives `expr` its value: a name assigned once, or
        `self.x` assigned once in the class."""
        bindings = None
        if isinstance(expr, ir.Name):
            found = self.model.resolver.lookup(self.facts, self.scope, expr.id)
            bindings = found[1] if found is not None else None
        elif isinstance(expr, ir.Attr) and isinstance(expr.value, ir.Name):
            cls = self.model.resolver.self_class(self.facts, self.scope, expr.value.id)
            if cls is not None:
                bindings = cls.self_attrs.get(expr.attr, []) + cls.bindings.get(expr.attr, [])
        if not bindings or len(bindings) != 1 or bindings[0].kind != "assign":
            return None
        return bindings[0]

    def defining_value(self, expr: ir.IR | None, depth: int = 0) -> ir.IR | None:
        """The value a name assigned once stands for (followed through names)."""
        if expr is None or depth > 8 or not isinstance(expr, ir.Name | ir.Attr):
            return expr
        binding = self.binding(expr)
        if binding is None:
            return None
        return _Reader(self.model, self.facts, binding.scope).defining_value(
            binding.value, depth + 1
        )

    def defining_call(self, expr: ir.IR | None, depth: int = 0) -> tuple[_Reader, ir.Call] | None:
        """The call that built the object `expr` names (through single assignments)."""
        if expr is None or depth > 8:
            return None
        if isinstance(expr, ir.Call):
            return self, expr
        binding = self.binding(expr)
        if binding is None:
            return None
        reader = _Reader(self.model, self.facts, binding.scope)
        return reader.defining_call(binding.value, depth + 1)


def _hashable(value: object) -> object:
    return value if isinstance(value, str | int | float | bool | type(None)) else _UNKNOWN


def _given(value: object) -> bool | None:
    """A setting's value: None/False/"" mean absent, a constant means given, unknown is None."""
    if value is _UNKNOWN:
        return True  # present but computed: given (a variable TTL is a TTL, rules.md RL105)
    return value not in (None, False, "")


@dataclass
class _Args:
    """The arguments of one call bound to parameter names (positional by `positional`)."""

    bound: dict[str, tuple[ir.IR, cst.BaseExpression]]
    star: bool  # *args / **kwargs: anything absent may be hidden there

    @classmethod
    def of(cls, node: cst.Call, call: ir.Call, positional: tuple[str, ...]) -> _Args:
        bound: dict[str, tuple[ir.IR, cst.BaseExpression]] = {}
        ir_args = iter(call.args)
        index = 0
        star = False
        for argument in node.args:
            if argument.star:
                star = True
                continue
            if argument.keyword is not None:
                bound[argument.keyword.value] = (
                    call.kwarg(argument.keyword.value) or ir.other(),
                    argument.value,
                )
                continue
            value = next(ir_args, ir.other())
            if index < len(positional):
                bound[positional[index]] = (value, argument.value)
            index += 1
        return cls(bound, star)

    def get(self, name: str) -> ir.IR | None:
        found = self.bound.get(name)
        return found[0] if found is not None else None

    def node(self, name: str) -> cst.BaseExpression | None:
        found = self.bound.get(name)
        return found[1] if found is not None else None

    def setting(self, reader: _Reader, name: str) -> bool | None:
        """Given (True), absent (False) or unknown (None: maybe inside **kwargs)."""
        if name in self.bound:
            return _given(reader.literal(self.get(name)))
        return None if self.star else False


def _or(*values: bool | None) -> bool | None:
    """Any True wins; else unknown if any unknown; else False."""
    if any(v is True for v in values):
        return True
    if any(v is None for v in values):
        return None
    return False


# -- constructions ---------------------------------------------------------------------


def connections_of(model: FileModel) -> list[Connection]:
    """Every client construction (and settings literal) in the file, in source order."""
    found: list[Connection] = []
    facts = model.facts
    for site in facts.calls:
        last = _last_name(site.func)
        if last not in _CONSTRUCTOR_NAMES:
            continue
        reader = _Reader(model, facts, site.scope)
        qualname = reader.qualified(site.func)
        if qualname is None:
            continue
        connection = _construction(model, reader, site, qualname)
        if connection is not None:
            found.append(connection)
    if facts.module is not None and "://" in model.source:
        found.extend(_settings(model, facts.module))
    return found


def _last_name(func: ir.IR) -> str | None:
    if isinstance(func, ir.Name):
        return func.id
    if isinstance(func, ir.Attr):
        return func.attr
    return None


def _construction(
    model: FileModel, reader: _Reader, site: CallSite, qualname: str
) -> Connection | None:
    head, _, last = qualname.rpartition(".")
    node, call = site.node, site.ir
    if qualname == "celery.Celery":
        return None  # reported as a settings literal (broker= / backend=) below
    if last in _CLIENT_SUFFIXES and head in _PACKAGES_ALL:
        cluster = last == "RedisCluster"
        args = _Args.of(node, call, _CLUSTER_POSITIONAL if cluster else _REDIS_POSITIONAL)
        connection = Connection(node, site.statement, f"{last}(...)")
        if "connection_pool" in args.bound:
            return _from_pool(model, reader, connection, args.get("connection_pool"))
        if cluster and "url" in args.bound:
            return _with_url(reader, connection, args, args.get("url"), args.node("url"))
        _apply_arguments(reader, connection, args, cluster=cluster)
        return connection
    if last in ("from_url", "from_pool") and (
        head in _PACKAGES_ALL
        or (
            head.rpartition(".")[2] in _CLIENT_SUFFIXES and head.rpartition(".")[0] in _PACKAGES_ALL
        )
    ):
        args = _Args.of(node, call, ("url",) if last == "from_url" else ("connection_pool",))
        connection = Connection(node, site.statement, f"{last}(...)")
        if last == "from_pool":
            return _from_pool(model, reader, connection, args.get("connection_pool"))
        return _with_url(reader, connection, args, args.get("url"), args.node("url"))
    if qualname in _SENTINELS:
        return _sentinel(model, reader, site)
    if qualname in _POOLS or (last == "from_url" and head in _POOLS):
        # judged through the clients built on it; its own literal passwords are RL403's
        pool = Connection(node, site.statement, f"{last}(...)", is_pool=True)
        args = _Args.of(node, call, ("url",) if last == "from_url" else ())
        if last == "from_url":
            _with_url(reader, pool, args, args.get("url"), args.node("url"))
        else:
            _literal_password(reader, pool, args)
        return pool
    return None


def _apply_arguments(
    reader: _Reader, connection: Connection, args: _Args, *, cluster: bool
) -> None:
    """Host, credentials, TLS and timeout from keyword (and leading positional) arguments."""
    endpoints: list[Endpoint] = []
    unix = args.get("unix_socket_path")
    if unix is not None and _given(reader.literal(unix)):
        path = reader.string(unix)
        endpoints.append(Endpoint(None, None, path or "?"))
    elif cluster and "startup_nodes" in args.bound:
        endpoints.extend(_cluster_nodes(reader, args.get("startup_nodes")))
    if not endpoints and not (cluster and "startup_nodes" in args.bound):
        endpoints.append(_endpoint(reader, args))
    connection.endpoints = tuple(endpoints)
    connection.credentials = _or(*(args.setting(reader, p) for p in _CREDENTIAL_PARAMS))
    connection.tls = _or(args.setting(reader, "ssl"), _ssl_class(reader, args))
    connection.socket_timeout = args.setting(reader, "socket_timeout")
    _literal_password(reader, connection, args)


def _endpoint(reader: _Reader, args: _Args) -> Endpoint:
    if "host" in args.bound:
        host = reader.literal(args.get("host"))
        if host is None:
            host = "localhost"  # redis-py's default when None is passed
        elif not isinstance(host, str):
            return Endpoint(None)
    elif args.star:
        return Endpoint(None)
    else:
        host = "localhost"
    port = reader.literal(args.get("port")) if "port" in args.bound else DEFAULT_PORT
    number = (
        int(port) if isinstance(port, int) or (isinstance(port, str) and port.isdigit()) else None
    )
    return Endpoint(host, number)


def _ssl_class(reader: _Reader, args: _Args) -> bool | None:
    """`connection_class=SSLConnection`; None when some other class cannot be told."""
    if "connection_class" not in args.bound:
        return None if args.star else False
    expr = args.get("connection_class")
    assert expr is not None
    name = reader.qualified(expr)
    if name is None:
        return None
    return name in _SSL_CONNECTIONS


def _literal_password(reader: _Reader, connection: Connection, args: _Args) -> None:
    node = args.node("password")
    value = reader.literal(args.get("password"))
    if node is not None and isinstance(value, str) and value:
        connection.secrets.append(LiteralSecret(node, "password="))


def _cluster_nodes(reader: _Reader, nodes: ir.IR | None) -> list[Endpoint]:
    if not isinstance(nodes, ir.Seq):
        return [Endpoint(None)]
    found = []
    for item in nodes.items:
        if isinstance(item, ir.Call) and reader.qualified(item.func) in _CLUSTER_NODES:
            host = item.args[0] if item.args else item.kwarg("host")
            port = item.args[1] if len(item.args) > 1 else item.kwarg("port")
            found.append(_host_port(reader, host, port))
        else:
            found.append(Endpoint(None))
    return found


def _host_port(reader: _Reader, host: ir.IR | None, port: ir.IR | None) -> Endpoint:
    text = reader.string(host)
    number = reader.literal(port)
    return Endpoint(text, number if isinstance(number, int) else None)


def _with_url(
    reader: _Reader,
    connection: Connection,
    args: _Args,
    url: ir.IR | None,
    url_node: cst.BaseExpression | None,
) -> Connection:
    """`from_url(url, **kwargs)`: the URL's options win over the keyword arguments."""
    text = reader.template(url)
    parsed = parse_redis_url(text) if text is not None else None
    if parsed is None:
        # an unknown URL (environment, settings): nothing is known but the keywords
        connection.endpoints = (Endpoint(None),)
        connection.credentials = (
            True if _or(*(args.setting(reader, p) for p in _CREDENTIAL_PARAMS)) else None
        )
        connection.tls = (
            True if _or(args.setting(reader, "ssl"), _ssl_class(reader, args)) else None
        )
        connection.socket_timeout = True if args.setting(reader, "socket_timeout") else None
        _literal_password(reader, connection, args)
        return connection
    connection.endpoints = (parsed.endpoint,)
    connection.credentials = _or(
        parsed.has_credentials, *(args.setting(reader, p) for p in _CREDENTIAL_PARAMS)
    )
    connection.tls = _or(parsed.tls, args.setting(reader, "ssl"), _ssl_class(reader, args))
    connection.socket_timeout = _or(parsed.socket_timeout, args.setting(reader, "socket_timeout"))
    if parsed.has_password and url_node is not None:
        connection.secrets.append(LiteralSecret(url_node, f"the URL '{parsed.masked}'"))
    _literal_password(reader, connection, args)
    return connection


def _from_pool(
    model: FileModel, reader: _Reader, connection: Connection, pool: ir.IR | None
) -> Connection:
    """A client built on a pool takes every connection setting from the pool."""
    found = reader.defining_call(pool)
    unknown = Connection(
        connection.node, connection.statement, connection.what, (Endpoint(None),), None, None, None
    )
    if found is None:
        return unknown
    pool_reader, call = found
    qualname = pool_reader.qualified(call.func)
    if qualname is None:
        return unknown
    # The pool call's libcst node is not at hand: read its IR only (no literal-password
    # node: RL403 reports the pool's own construction when it is a from_url literal).
    args = _Args({name: (value, cst.Name("_")) for name, value in call.kwargs}, call.star)
    if qualname in _POOLS:
        connection.endpoints = (
            (Endpoint(None, None, pool_reader.string(args.get("path")) or "?"),)
            if _is_unix_pool(pool_reader, args)
            else (_endpoint(pool_reader, args),)
        )
        connection.credentials = _or(*(args.setting(pool_reader, p) for p in _CREDENTIAL_PARAMS))
        connection.tls = _ssl_class(pool_reader, args)
        connection.socket_timeout = args.setting(pool_reader, "socket_timeout")
        return connection
    head, _, last = qualname.rpartition(".")
    if last == "from_url" and head in _POOLS:
        url = call.args[0] if call.args else call.kwarg("url")
        result = _with_url(pool_reader, connection, args, url, None)
        result.secrets = []
        return result
    return unknown


def _is_unix_pool(reader: _Reader, args: _Args) -> bool:
    expr = args.get("connection_class")
    return expr is not None and reader.qualified(expr) in _UNIX_CONNECTIONS


def _sentinel(model: FileModel, reader: _Reader, site: CallSite) -> Connection:
    """`Sentinel(nodes, sentinel_kwargs=..., **connection_kwargs)` and the master_for /
    slave_for calls made on it: any of them may carry the credentials."""
    node, call = site.node, site.ir
    args = _Args.of(node, call, ("sentinels", "min_other_sentinels", "sentinel_kwargs"))
    connection = Connection(node, site.statement, "Sentinel(...)")
    nodes = args.get("sentinels")
    endpoints: list[Endpoint] = []
    if isinstance(nodes, ir.Seq):
        for item in nodes.items:
            if isinstance(item, ir.Seq) and len(item.items) == 2:
                endpoints.append(_host_port(reader, item.items[0], item.items[1]))
            else:
                endpoints.append(Endpoint(None))
    else:
        endpoints.append(Endpoint(None))
    connection.endpoints = tuple(endpoints)
    credentials = [args.setting(reader, p) for p in _CREDENTIAL_PARAMS]
    tls = [args.setting(reader, "ssl"), _ssl_class(reader, args)]
    timeout = [args.setting(reader, "socket_timeout")]
    extra = args.get("sentinel_kwargs")
    if extra is not None and reader.literal(extra) is not None:
        # a dict's keys are known only as a literal display: `{"password": ...}`
        if isinstance(extra, ir.Dict) and None not in extra.keys:
            keys = {reader.string(k) for k in extra.keys if k is not None}
            credentials.append(bool(keys & set(_CREDENTIAL_PARAMS)))
            tls.append("ssl" in keys)
        else:
            credentials.append(None)
            tls.append(None)
    for other in _sentinel_uses(model, site):
        other_args = _Args.of(
            other.node, other.ir, ("service_name", "redis_class", "connection_pool_class")
        )
        credentials += [other_args.setting(reader, p) for p in _CREDENTIAL_PARAMS]
        tls.append(other_args.setting(reader, "ssl"))
        timeout.append(other_args.setting(reader, "socket_timeout"))
    connection.credentials = _or(*credentials)
    connection.tls = _or(*tls)
    connection.socket_timeout = _or(*timeout)
    _literal_password(reader, connection, args)
    return connection


def _sentinel_uses(model: FileModel, site: CallSite) -> list[CallSite]:
    """The `master_for` / `slave_for` calls in this file on the Sentinel built at `site`
    (a receiver assigned once is matched by its node: two equal-looking Sentinels are
    two objects; any other proven Sentinel receiver built by an equal call counts)."""
    found = []
    for other in model.facts.calls:
        if not isinstance(other.func, ir.Attr) or other.func.attr not in (
            "master_for",
            "slave_for",
        ):
            continue
        binding = _Reader(model, model.facts, other.scope).binding(other.func.value)
        if binding is not None and binding.node is not None:
            if binding.node is site.node:
                found.append(other)
            continue
        client = model.resolver.client(model.facts, other.scope, other.func.value)
        if (
            client is not None
            and client.kind == "sentinel"
            and client.origin == site.ir
            and client.origin_scope == (model.facts.path, site.scope)
        ):
            found.append(other)
    return found


# -- settings literals (Django, Celery, RQ) --------------------------------------------


def _settings(model: FileModel, module: cst.Module) -> list[Connection]:
    """Module-level settings that name a Redis server by a literal URL (or RQ's HOST)."""
    found: list[Connection] = []
    reader = _Reader(model, model.facts, "")
    for statement in module.body:
        if not isinstance(statement, cst.SimpleStatementLine):
            continue
        for small in statement.body:
            target: cst.BaseExpression | None = None
            value: cst.BaseExpression | None = None
            if isinstance(small, cst.Assign) and len(small.targets) == 1:
                target, value = small.targets[0].target, small.value
            elif isinstance(small, cst.AnnAssign) and small.value is not None:
                target, value = small.target, small.value
            if target is None or value is None:
                continue
            name = target.value if isinstance(target, cst.Name) else None
            if isinstance(target, cst.Attribute):
                name = (
                    target.attr.value
                    if target.attr.value in ("broker_url", "result_backend")
                    else None
                )
            if name in _URL_SETTINGS:
                found.extend(_url_setting(reader, statement, name, value, {}))
            elif name == "CACHES" and isinstance(value, cst.Dict):
                factory = reader.string(ir.Name("DJANGO_REDIS_CONNECTION_FACTORY"))
                found.extend(_caches(reader, statement, value, factory))
            elif name == "RQ_QUEUES" and isinstance(value, cst.Dict):
                found.extend(_rq_queues(reader, statement, value))
    # Celery("proj", broker="redis://...", backend="redis://...")
    for site in model.facts.calls:
        if _last_name(site.func) != "Celery":
            continue
        caller = _Reader(model, model.facts, site.scope)
        if caller.qualified(site.func) != "celery.Celery":
            continue
        for argument in site.node.args:
            if argument.keyword is not None and argument.keyword.value in ("broker", "backend"):
                found.extend(
                    _url_setting(
                        caller,
                        site.statement,
                        f"Celery({argument.keyword.value}=)",
                        argument.value,
                        {},
                    )
                )
    return found


def _url_setting(
    reader: _Reader,
    statement: cst.CSTNode,
    name: str,
    value: cst.BaseExpression,
    options: dict[str, cst.BaseExpression],
    sentinels: tuple[Endpoint, ...] | None = None,
) -> list[Connection]:
    """One URL setting (a string, or a list of strings as Django's LOCATION allows).
    `sentinels`: the servers actually contacted when the URL names a Sentinel service."""
    values = (
        [e.value for e in value.elements] if isinstance(value, cst.List | cst.Tuple) else [value]
    )
    found = []
    for item in values:
        text = reader.template(ir.from_cst(item))
        if text is None:
            continue
        for url in text.replace(";", ",").split(",") if name == "CACHES LOCATION" else [text]:
            parsed = parse_redis_url(url)
            if parsed is None:
                continue
            connection = Connection(item, statement, f"setting {name}", is_setting=True)
            connection.endpoints = (parsed.endpoint,)
            if sentinels is not None:
                # django-redis with Sentinel: the URL's host is the master's service name
                connection.endpoints = sentinels
                connection.what = f"setting {name} (Sentinel nodes)"
            option_credentials = _options_given(reader, options, _CREDENTIAL_PARAMS)
            connection.credentials = _or(parsed.has_credentials, option_credentials)
            connection.tls = _or(parsed.tls, _options_given(reader, options, ("ssl",)))
            connection.socket_timeout = None  # the library building the client decides
            if parsed.has_password:
                connection.secrets.append(LiteralSecret(item, f"the URL '{parsed.masked}'"))
            _option_secret(reader, connection, options)
            found.append(connection)
    return found


def _options_given(
    reader: _Reader, options: dict[str, cst.BaseExpression], names: tuple[str, ...]
) -> bool | None:
    if "**" in options:
        return None
    return any(_given(reader.literal(ir.from_cst(options[n]))) for n in names if n in options)


def _option_secret(
    reader: _Reader, connection: Connection, options: dict[str, cst.BaseExpression]
) -> None:
    node = options.get("password")
    if node is not None:
        value = reader.literal(ir.from_cst(node))
        if isinstance(value, str) and value:
            connection.secrets.append(LiteralSecret(node, "the PASSWORD option"))


def _dict_items(node: cst.Dict, reader: _Reader) -> dict[str, cst.BaseExpression]:
    """A dict display's string keys (lower-cased) -> value nodes; `**x` -> key "**"."""
    items: dict[str, cst.BaseExpression] = {}
    for element in node.elements:
        if isinstance(element, cst.DictElement):
            key = reader.string(ir.from_cst(element.key))
            if key is not None:
                items[key.lower()] = element.value
        else:
            items["**"] = element.value
    return items


def _caches(
    reader: _Reader, statement: cst.CSTNode, caches: cst.Dict, module_factory: str | None
) -> list[Connection]:
    found = []
    for alias in _dict_items(caches, reader).values():
        if not isinstance(alias, cst.Dict):
            continue
        entry = _dict_items(alias, reader)
        location = entry.get("location")
        if location is None:
            continue
        options: dict[str, cst.BaseExpression] = {}
        raw = entry.get("options")
        if isinstance(raw, cst.Dict):
            options = _dict_items(raw, reader)
            pool = options.get("connection_pool_kwargs")
            if isinstance(pool, cst.Dict):
                options.update(_dict_items(pool, reader))
        elif raw is not None:
            options = {"**": raw}
        sentinels = _django_sentinels(reader, options, module_factory)
        found.extend(
            _url_setting(reader, statement, "CACHES LOCATION", location, options, sentinels)
        )
    return found


def _django_sentinels(
    reader: _Reader, options: dict[str, cst.BaseExpression], module_factory: str | None
) -> tuple[Endpoint, ...] | None:
    """django-redis's Sentinel mode (a `SENTINELS` option, a Sentinel client class or
    connection factory): the Sentinel nodes it contacts, unknown when not literal."""
    named = [module_factory or ""]
    for option in ("client_class", "connection_factory"):
        if option in options:
            named.append(reader.string(ir.from_cst(options[option])) or "")
    if "sentinels" not in options and not any("sentinel" in n.lower() for n in named):
        return None
    nodes = ir.from_cst(options["sentinels"]) if "sentinels" in options else None
    found = reader.defining_value(nodes)
    if not isinstance(found, ir.Seq):
        return (Endpoint(None),)
    endpoints = []
    for item in found.items:
        if isinstance(item, ir.Seq) and len(item.items) == 2:
            endpoints.append(_host_port(reader, item.items[0], item.items[1]))
        else:
            endpoints.append(Endpoint(None))
    return tuple(endpoints) or (Endpoint(None),)


def _rq_queues(reader: _Reader, statement: cst.CSTNode, queues: cst.Dict) -> list[Connection]:
    found = []
    for queue in _dict_items(queues, reader).values():
        if not isinstance(queue, cst.Dict):
            continue
        entry = _dict_items(queue, reader)
        url = entry.get("url")
        if url is not None:
            found.extend(_url_setting(reader, statement, "RQ_QUEUES URL", url, entry))
            continue
        host_node = entry.get("host")
        if host_node is None or "**" in entry:
            continue
        host = reader.string(ir.from_cst(host_node))
        if host is None:
            continue
        port = reader.literal(ir.from_cst(entry["port"])) if "port" in entry else DEFAULT_PORT
        connection = Connection(host_node, statement, "setting RQ_QUEUES", is_setting=True)
        connection.endpoints = (Endpoint(host, port if isinstance(port, int) else None),)
        connection.credentials = _options_given(reader, entry, _CREDENTIAL_PARAMS)
        connection.tls = _options_given(reader, entry, ("ssl",))
        connection.socket_timeout = None
        _option_secret(reader, connection, entry)
        found.append(connection)
    return found


# -- credentials sent by commands -------------------------------------------------------


def command_secrets(model: FileModel, call: RedisCall) -> list[str]:
    """Where a command call carries a literal password: AUTH, ACL SETUSER's passwords
    (`>secret` / `+secret` rules), CONFIG SET requirepass / masterauth."""
    reader = _Reader(model, model.facts, call.site.scope)
    command = call.command
    if call.method == "execute_command":
        values = call.site.ir.args[1:]
        if command == "AUTH":
            return ["AUTH's password"] if values and _is_secret(reader, values[-1]) else []
        if command == "CONFIG SET":
            # execute_command("CONFIG", "SET", name, value) or ("CONFIG SET", name, value)
            first = reader.string(call.site.ir.args[0]) or ""
            return _config_set_secrets(reader, list(values[0 if " " in first else 1 :]))
        return []
    if command == "AUTH":
        argument = call.param("password")
        if argument is not None and _is_secret(reader, ir.from_cst(argument.value)):
            return ["auth(password)"]
        return []
    if command == "ACL SETUSER":
        argument = call.param("passwords")
        if argument is None:
            return []
        value = ir.from_cst(argument.value)
        items = value.items if isinstance(value, ir.Seq) else (value,)
        if any(_is_secret(reader, item) for item in items):
            return ["acl_setuser(passwords=...)"]
        return []
    if command == "CONFIG SET":
        given = [ir.from_cst(a.value) for a in call.node.args if not a.star and a.keyword is None]
        return _config_set_secrets(reader, given)
    return []


_SECRET_CONFIG = frozenset({"requirepass", "masterauth"})


def _config_set_secrets(reader: _Reader, values: list[ir.IR]) -> list[str]:
    found = []
    for name, value in zip(values[::2], values[1::2], strict=False):
        parameter = reader.string(name)
        if (
            parameter is not None
            and parameter.lower() in _SECRET_CONFIG
            and _is_secret(reader, value)
        ):
            found.append(f"config_set({parameter!r}, ...)")
    return found


def _is_secret(reader: _Reader, expr: ir.IR) -> bool:
    value = reader.literal(expr)
    return isinstance(value, str) and bool(value.lstrip("+>"))


__all__ = [
    "Connection",
    "Endpoint",
    "LiteralSecret",
    "command_secrets",
    "connections_of",
    "is_loopback_host",
    "mask_url",
    "parse_redis_url",
]
