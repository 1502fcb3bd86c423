"""RL203 invalid-ttl: a TTL that does not do what it says.

Three shapes, each read from the value redis-py actually sends (`semantics/ttl.py`
evaluates literals, constants and `timedelta(...)`):

- 0 or negative: `EXPIRE`/`PEXPIRE` delete the key at once; `SET ex=`, `SETEX`,
  `PSETEX` and `GETEX` are rejected by the server ("invalid expire time") and write
  nothing. A `timedelta` shorter than the unit truncates to 0 (`expire(k,
  timedelta(milliseconds=500))` sends `EXPIRE k 0`).
- a float where an integer is required: redis-py raises `DataError` for `set(ex=1.5)`
  and the server answers "value is not an integer" for `expire(k, 1.5)`.
- a plain number under 1000 given in milliseconds (`px=`, `PEXPIRE`, `PSETEX`):
  almost always seconds written in the wrong unit. A `timedelta` states its unit and is
  not reported for this.
"""

from __future__ import annotations

from redislint.rules._base import Rule
from redislint.semantics import ir
from redislint.semantics.model import RedisCall
from redislint.semantics.ttl import DELETES_WHEN_NOT_POSITIVE, TtlArg, ttl_args

_UNIT_WORDS = {"s": "seconds", "ms": "milliseconds"}
_SECONDS_SPELLING = {"SET": "ex=", "GETEX": "ex=", "PEXPIRE": "expire()", "PSETEX": "setex()"}


class InvalidTtl(Rule):
    CODE = "RL203"

    def check(self) -> None:
        for call in self.model.redis_calls:
            for ttl in ttl_args(self.model, call):
                if self._judge(call, ttl):
                    break

    def _judge(self, call: RedisCall, ttl: TtlArg) -> bool:
        key = _key_name(call)
        where = f"{call.command} of '{key}' with {_written(ttl)}"
        sent = ttl.sent
        if sent <= 0:
            if call.command in DELETES_WHEN_NOT_POSITIVE:
                message = f"{where}: a TTL of {_number(sent)} deletes the key at once"
            else:
                message = (
                    f"{where}: the server rejects a TTL of {_number(sent)} ('invalid expire"
                    " time') and the value is not written"
                )
            if ttl.number.timedelta and ttl.number.value > 0:
                message += f" (redis-py truncates the timedelta to whole {_UNIT_WORDS[ttl.unit]})"
            self.report_call(
                call,
                message,
                hint="give a positive TTL; to delete the key use DEL/UNLINK, to keep it use"
                " PERSIST or no expiry",
            )
            return True
        if ttl.is_float:
            self.report_call(
                call,
                f"{where}: a float where whole {_UNIT_WORDS[ttl.unit]} are required"
                + (
                    " (redis-py raises DataError)"
                    if call.command in ("SET", "GETEX") and call.method != "execute_command"
                    else " (the server answers 'value is not an integer')"
                ),
                hint="pass an int, or a timedelta (redis-py converts it); for sub-second"
                " precision use milliseconds (px=, PEXPIRE)",
            )
            return True
        if ttl.unit == "ms" and not ttl.number.timedelta and 0 < sent < 1000:
            seconds = _SECONDS_SPELLING.get(call.command, "seconds")
            self.report_call(
                call,
                f"{where}: {_number(sent)} milliseconds, under a second: seconds written"
                " in a milliseconds argument?",
                hint=f"for seconds use {seconds}; if milliseconds are meant, say so with"
                f" timedelta(milliseconds={_number(sent)})",
            )
            return True
        return False


def _written(ttl: TtlArg) -> str:
    if ttl.param.isupper():
        return f"{ttl.param} {ttl.text}"
    if ttl.param in ("time", "time_ms"):
        return f"TTL {ttl.text}"
    return f"{ttl.param}={ttl.text}"


def _number(value: int | float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def _key_name(call: RedisCall) -> str:
    if not call.keys:
        return "?"
    key = call.keys[0]
    return key.pattern.glob if key.pattern is not None else ir.render(key.expr)
