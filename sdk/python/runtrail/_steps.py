"""
step, llm, tool, decide, log: run the workflow's code and record it as nodes.

Every node sends one record when it starts and one when it ends (merged into one when both are
still waiting to be sent). Exceptions are recorded and re-raised unchanged; without a run (before
start_run, after finish, or RUNTRAIL_DISABLED=1) the code runs exactly the same and nothing is sent.
"""

from __future__ import annotations

import functools
import inspect
from typing import Any, Awaitable, Callable, Dict, List, Mapping, Optional, Sequence, TypeVar, Union, overload

from ._context import Scope, current, enter, leave, parent_for
from ._diagnostics import warn_once
from ._replay import Recorded, replayed_error, split_key
from ._run import Run, active_run
from ._source import Location, caller
from ._wire import MAX_KEY_CHARS, check_name, error_info, json_safe, new_id, now_ms, optional_cost, optional_int

T = TypeVar("T")
F = TypeVar("F", bound=Callable[..., Any])


class _Unset:
    def __repr__(self) -> str:
        return "<unset>"


_UNSET: Any = _Unset()


class Usage:
    """An llm call's output with what it cost; the step returns `output` and records the rest."""

    __slots__ = ("output", "tokens_in", "tokens_out", "cost_usd")

    def __init__(self, output: Any, tokens_in: Optional[int] = None, tokens_out: Optional[int] = None, cost_usd: Optional[float] = None) -> None:
        self.output = output
        self.tokens_in = optional_int(tokens_in, "tokens_in")
        self.tokens_out = optional_int(tokens_out, "tokens_out")
        self.cost_usd = optional_cost(cost_usd)

    def __repr__(self) -> str:
        return f"Usage(output={self.output!r}, tokens_in={self.tokens_in}, tokens_out={self.tokens_out}, cost_usd={self.cost_usd})"


def usage(output: Any, *, tokens_in: Optional[int] = None, tokens_out: Optional[int] = None, cost_usd: Optional[float] = None) -> Usage:
    """Return this from an llm function: `output` is what llm() returns, the counts go on the node."""
    return Usage(output, tokens_in, tokens_out, cost_usd)


class _Options:
    __slots__ = ("input", "attributes", "retries")

    def __init__(self, input: Any, attributes: Optional[Mapping[str, Any]], retries: int, model: Optional[str] = None) -> None:
        if attributes is not None and (not isinstance(attributes, Mapping) or not all(isinstance(k, str) for k in attributes)):
            raise TypeError("runtrail: attributes must be a dict with string keys")
        if isinstance(retries, bool) or not isinstance(retries, int) or retries < 0:
            raise ValueError(f"runtrail: retries must be a non-negative integer, got {retries!r}")
        merged: Dict[str, Any] = dict(attributes or {})
        if model is not None:
            if not isinstance(model, str):
                raise TypeError(f"runtrail: model must be a string, got {type(model).__name__}")
            merged["model"] = model
        self.input = _UNSET if input is None else input
        self.attributes = merged
        self.retries = retries


def _recording_run(kind: str, name: str) -> Optional[Run]:
    run = active_run()
    if run is None:
        warn_once(
            "no-run",
            f"{kind}({name!r}) ran without a run, so it was not recorded: call runtrail.start_run() first "
            "(this warning is shown once)",
        )
        return None
    return run if run.recording else None


def _source(run: Optional[Run], fallback: Optional[Callable[..., Any]] = None) -> Optional[Location]:
    if run is None:
        return None
    try:
        return caller(fallback)
    except Exception:  # noqa: BLE001 - an odd frame costs the node its source, never the workflow
        return None


class _Node:
    """One node: its start record on open(), its end record once. Inert without a run."""

    __slots__ = ("run", "id", "key", "scope", "recorded", "override", "_ended", "_previous")

    def __init__(self, run: Optional[Run]) -> None:
        self.run = run
        self.id: Optional[str] = None
        self.key: Optional[str] = None
        self.scope: Optional[Scope] = None
        self.recorded: Optional[Recorded] = None
        # The label RUNTRAIL_OVERRIDES names for this decision (checked against its options).
        self.override: Optional[str] = None
        self._ended = False
        self._previous: Optional[Scope] = None

    @classmethod
    def open(
        cls,
        run: Optional[Run],
        kind: str,
        name: str,
        *,
        input: Any = _UNSET,
        attributes: Optional[Dict[str, Any]] = None,
        source: Optional[Location] = None,
        replayable: bool = False,
        labels: Optional[Sequence[str]] = None,
    ) -> "_Node":
        node = cls(run)
        if run is None:
            return node
        parent = parent_for(run)
        node.key = parent.child_key(name)
        node.id = new_id()
        node.scope = Scope(run, node.id, node.key)
        record: Dict[str, Any] = {
            "id": node.id,
            "kind": kind,
            "name": name,
            "status": "running",
            "seq": run._next_seq(),
            "startedAt": now_ms(),
        }
        if parent.node_id is not None:
            record["parentId"] = parent.node_id
        if len(node.key) <= MAX_KEY_CHARS:
            record["key"] = node.key
        if input is not _UNSET:
            record["input"] = json_safe(input)
        if attributes:
            record["attributes"] = json_safe(attributes)
        if source is not None:
            record["source"] = source
        replay = run._replay
        if labels is not None and node.key in replay.overrides:
            label = replay.overrides[node.key]
            if label in labels:
                node.override = label
            else:
                known = ", ".join(repr(known) for known in labels)
                warn_once(
                    f"override:{node.key}",
                    f"RUNTRAIL_OVERRIDES asks decide({name!r}) at {node.key} for {label!r}, which is not one of its "
                    f"options ({known}); it chooses as usual",
                )
        if replayable and node.override is None and replay.of_run is not None:
            found = replay.recorded(node.key)
            if found is None:
                if replay.active:
                    # The recording has no such key: the code took another path, this step runs live.
                    record["diverged"] = True
            elif found.replay:
                node.recorded = found
            # A key recorded with replay=false lies at or after the fork point: live, unmarked.
        run._send(record)
        return node

    def enter(self) -> Optional[Any]:
        """Makes this node the parent of nodes started in the current context."""
        if self.scope is None:
            return None
        self._previous = current()
        return enter(self.scope)

    def leave(self, token: Optional[Any]) -> None:
        if token is not None:
            leave(token, self._previous)

    def succeed(self, result: Any = _UNSET, attributes: Optional[Dict[str, Any]] = None) -> Any:
        """Ends the node ok; returns what the step returns (a Usage's output)."""
        record: Dict[str, Any] = {}
        if isinstance(result, Usage):
            for field, value in (("tokensIn", result.tokens_in), ("tokensOut", result.tokens_out), ("costUsd", result.cost_usd)):
                if value is not None:
                    record[field] = value
            result = result.output
        if result is not _UNSET:
            record["output"] = result
        if attributes is not None:
            record["attributes"] = attributes
        self._end("ok", record)
        return None if result is _UNSET else result

    def replay(self, attributes: Dict[str, Any]) -> Any:
        """Ends the node with the recorded output instead of running the step."""
        recorded = self.recorded
        assert recorded is not None
        replays = {"replays": recorded.node_id} if recorded.node_id else {}
        self._end("ok", {"output": recorded.output, "attributes": {**attributes, **replays}, "replayed": True})
        self._copy_descendants()
        return recorded.output

    def replay_error(self, attributes: Dict[str, Any]) -> BaseException:
        """Ends the node with the recorded error instead of running the step; returns what to raise."""
        recorded = self.recorded
        assert recorded is not None
        error = replayed_error(recorded.error)
        replays = {"replays": recorded.node_id} if recorded.node_id else {}
        recorded_error = recorded.error if isinstance(recorded.error, dict) and isinstance(recorded.error.get("message"), str) else error
        self._end("error", {"error": recorded_error, "attributes": {**attributes, **replays}, "replayed": True})
        self._copy_descendants()
        return error

    def _copy_descendants(self) -> None:
        """A replayed step's body does not run, so neither do the steps inside it: their recorded
        nodes are copied under it (marked replayed), so the replay has the same keys as the original."""
        run, recorded = self.run, self.recorded
        if run is None or recorded is None or self.id is None:
            return
        ids = {recorded.key: self.id}
        for child in run._replay.descendants(recorded.key):
            parent_key, name = split_key(child.key)
            parent_id = ids.get(parent_key)
            if parent_id is None:
                continue
            ids[child.key] = node_id = new_id()
            at = now_ms()
            record: Dict[str, Any] = {
                "id": node_id,
                "parentId": parent_id,
                "key": child.key,
                "kind": child.kind or "step",
                "name": name,
                "status": child.status,
                "seq": run._next_seq(),
                "startedAt": at,
                "endedAt": at,
                "replayed": True,
            }
            if child.node_id:
                record["attributes"] = {"replays": child.node_id}
            if child.status == "error":
                record["error"] = error_info(child.error if isinstance(child.error, dict) and isinstance(child.error.get("message"), str) else replayed_error(child.error))
            else:
                record["output"] = json_safe(child.output)
            run._send(record)

    def fail(self, error: BaseException) -> None:
        status = "error" if isinstance(error, Exception) else "cancelled"
        self._end(status, {"error": error})

    def _end(self, status: str, fields: Dict[str, Any]) -> None:
        if self.run is None or self.id is None or self._ended:
            return
        self._ended = True
        record: Dict[str, Any] = {"id": self.id, "status": status, "endedAt": now_ms()}
        for field, value in fields.items():
            if field == "error":
                record["error"] = error_info(value)
            elif field in ("output", "attributes"):
                record[field] = json_safe(value)
            else:
                record[field] = value
        self.run._send(record)


_signatures: Dict[Any, Optional[inspect.Signature]] = {}


def _signature(fn: Callable[..., Any]) -> Optional[inspect.Signature]:
    # A lambda in a loop is a new function each time, but always the same code: key on the code.
    code = getattr(fn, "__code__", None) if inspect.isfunction(fn) else None
    if code is not None and code in _signatures:
        return _signatures[code]
    try:
        signature: Optional[inspect.Signature] = inspect.signature(fn)
    except (TypeError, ValueError):
        signature = None
    if code is not None and len(_signatures) < 4096:
        _signatures[code] = signature
    return signature


def _arguments(fn: Callable[..., Any], args: Sequence[Any], kwargs: Mapping[str, Any], signature: Optional[inspect.Signature]) -> Any:
    """The call's arguments by parameter name (self/cls left out), recorded as the node's input."""
    if not args and not kwargs:
        return _UNSET
    if signature is not None:
        try:
            bound = signature.bind(*args, **kwargs)
        except TypeError:
            pass
        else:
            values = dict(bound.arguments)
            first = next(iter(signature.parameters), None)
            if first in ("self", "cls"):
                values.pop(first, None)
            return values
    return {"args": list(args), "kwargs": dict(kwargs)}


def _call(
    kind: str,
    name: str,
    fn: Callable[..., T],
    args: Sequence[Any],
    kwargs: Mapping[str, Any],
    options: _Options,
    run: Optional[Run],
    source: Optional[Location],
    signature: Optional[inspect.Signature],
) -> T:
    node_input = options.input
    if run is not None and node_input is _UNSET:
        node_input = _arguments(fn, args, kwargs, signature)
    attempts = options.retries + 1
    for attempt in range(1, attempts + 1):
        attributes = dict(options.attributes)
        if options.retries:
            attributes["attempt"] = attempt
        node = _Node.open(run, kind, name, input=node_input, attributes=attributes, source=source, replayable=True)
        if node.recorded is not None:
            # Served from the recording: the body does not run; a recorded failure fails again, and
            # retries go on to the next attempt as they did the first time.
            if node.recorded.status == "error":
                replayed = node.replay_error(attributes)
                if attempt == attempts:
                    raise replayed
                continue
            return node.replay(attributes)  # type: ignore[no-any-return]
        token = node.enter()
        try:
            result = fn(*args, **kwargs)
        except Exception as error:
            node.fail(error)
            if attempt == attempts:
                raise
            continue
        except BaseException as error:
            node.fail(error)
            raise
        finally:
            node.leave(token)
        return node.succeed(result)  # type: ignore[no-any-return]
    raise AssertionError("unreachable")


async def _call_async(
    kind: str,
    name: str,
    fn: Callable[..., Awaitable[T]],
    args: Sequence[Any],
    kwargs: Mapping[str, Any],
    options: _Options,
    run: Optional[Run],
    source: Optional[Location],
    signature: Optional[inspect.Signature],
) -> T:
    node_input = options.input
    if run is not None and node_input is _UNSET:
        node_input = _arguments(fn, args, kwargs, signature)
    attempts = options.retries + 1
    for attempt in range(1, attempts + 1):
        attributes = dict(options.attributes)
        if options.retries:
            attributes["attempt"] = attempt
        node = _Node.open(run, kind, name, input=node_input, attributes=attributes, source=source, replayable=True)
        if node.recorded is not None:
            # Served from the recording: the body does not run; a recorded failure fails again, and
            # retries go on to the next attempt as they did the first time.
            if node.recorded.status == "error":
                replayed = node.replay_error(attributes)
                if attempt == attempts:
                    raise replayed
                continue
            return node.replay(attributes)  # type: ignore[no-any-return]
        token = node.enter()
        try:
            result = await fn(*args, **kwargs)
        except Exception as error:
            node.fail(error)
            if attempt == attempts:
                raise
            continue
        except BaseException as error:
            node.fail(error)
            raise
        finally:
            node.leave(token)
        return node.succeed(result)  # type: ignore[no-any-return]
    raise AssertionError("unreachable")


def _invoke(kind: str, name: Any, fn: Any, args: Sequence[Any], kwargs: Mapping[str, Any], options: _Options) -> Any:
    """The call form: `step("name", fn, *args, **kwargs)`. A coroutine function gives an awaitable."""
    checked = check_name(name, f"{kind} name")
    if not callable(fn):
        raise TypeError(f"runtrail: {kind}({checked!r}, fn): fn must be callable, got {type(fn).__name__}")
    run = _recording_run(kind, checked)
    source = _source(run)
    signature = _signature(fn) if run is not None and options.input is _UNSET and (args or kwargs) else None
    if inspect.iscoroutinefunction(fn):
        return _call_async(kind, checked, fn, args, kwargs, options, run, source, signature)
    return _call(kind, checked, fn, args, kwargs, options, run, source, signature)


class StepHandle:
    """What `with step(...) as s:` gives: set `s.output`; `s.attributes` is sent when the step ends."""

    __slots__ = ("_node", "name", "output", "attributes")

    def __init__(self, node: _Node, name: str, attributes: Dict[str, Any]) -> None:
        self._node = node
        self.name = name
        self.output: Any = _UNSET
        self.attributes: Dict[str, Any] = attributes

    @property
    def id(self) -> Optional[str]:
        """The node's id (None when nothing is recorded)."""
        return self._node.id

    @property
    def key(self) -> Optional[str]:
        return self._node.key

    def __repr__(self) -> str:
        return f"<runtrail.StepHandle {self.name!r} id={self.id}>"


class StepSpec:
    """`step("name", input=...)` without a function: a decorator, or a `with` / `async with` block."""

    def __init__(self, kind: str, name: Optional[str], options: _Options) -> None:
        self._kind = kind
        self._name = None if name is None else check_name(name, f"{kind} name")
        self._options = options
        self._open: List[Any] = []

    def __call__(self, fn: F) -> F:
        return _decorate(self._kind, self._name, fn, self._options)

    def _enter(self) -> StepHandle:
        if self._name is None:
            raise TypeError(f"runtrail: `with {self._kind}(...)` needs a name: with runtrail.{self._kind}('name'): ...")
        if self._options.retries:
            raise TypeError(
                f"runtrail: retries work with the call and decorator forms of {self._kind}(); a with block cannot be run again"
            )
        run = _recording_run(self._kind, self._name)
        attributes = dict(self._options.attributes)
        node = _Node.open(run, self._kind, self._name, input=self._options.input, attributes=attributes, source=_source(run))
        handle = StepHandle(node, self._name, attributes)
        self._open.append((handle, node.enter()))
        return handle

    def _exit(self, error: Optional[BaseException]) -> None:
        handle, token = self._open.pop()
        node: _Node = handle._node
        node.leave(token)
        if error is not None:
            node.fail(error)
        else:
            changed = handle.attributes if handle.attributes != self._options.attributes else None
            node.succeed(handle.output, changed)

    def __enter__(self) -> StepHandle:
        return self._enter()

    def __exit__(self, exc_type: Any, exc: Optional[BaseException], tb: Any) -> None:
        self._exit(exc)

    async def __aenter__(self) -> StepHandle:
        return self._enter()

    async def __aexit__(self, exc_type: Any, exc: Optional[BaseException], tb: Any) -> None:
        self._exit(exc)


def _decorate(kind: str, name: Optional[str], fn: F, options: _Options) -> F:
    if not callable(fn):
        raise TypeError(f"runtrail: @{kind} decorates a function, got {type(fn).__name__}")
    step_name = name or getattr(fn, "__name__", None) or kind
    signature = _signature(fn)

    if inspect.iscoroutinefunction(fn):

        @functools.wraps(fn)
        async def async_wrapper(*args: Any, **kwargs: Any) -> Any:
            run = _recording_run(kind, step_name)
            return await _call_async(kind, step_name, fn, args, kwargs, options, run, _source(run, fn), signature)

        return async_wrapper  # type: ignore[return-value]

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        run = _recording_run(kind, step_name)
        return _call(kind, step_name, fn, args, kwargs, options, run, _source(run), signature)

    return wrapper  # type: ignore[return-value]


# ---- the public functions --------------------------------------------------------------------


@overload
def step(name: F, /) -> F: ...
@overload
def step(name: Optional[str] = None, /, *, input: Any = None, attributes: Optional[Mapping[str, Any]] = None, retries: int = 0) -> StepSpec: ...
@overload
def step(name: str, fn: Callable[..., T], /, *args: Any, input: Any = None, attributes: Optional[Mapping[str, Any]] = None, retries: int = 0, **kwargs: Any) -> T: ...


def step(
    name: Any = None,
    fn: Optional[Callable[..., Any]] = None,
    /,
    *args: Any,
    input: Any = None,
    attributes: Optional[Mapping[str, Any]] = None,
    retries: int = 0,
    **kwargs: Any,
) -> Any:
    """A `step` node, three ways:

    - `step("name", fn, *args, **kwargs)` calls `fn(*args, **kwargs)` and returns its value;
    - `@step` / `@step("name")` records every call of the function (name: the function's name);
    - `with step("name", input=...) as s:` records the block; set `s.output`.

    `retries=N` runs a failing function up to N more times, each attempt its own node with
    `attributes.attempt`; the last failure is re-raised.
    """
    options = _Options(input, attributes, retries)
    if callable(name) and not isinstance(name, str):
        if fn is not None or args or kwargs:
            raise TypeError("runtrail: step(fn) takes only the function; to call it, use step('name', fn, *args)")
        return _decorate("step", None, name, options)
    if fn is None:
        if args or kwargs:
            raise TypeError("runtrail: step('name', fn, *args): arguments were given but no function")
        return StepSpec("step", name, options)
    return _invoke("step", name, fn, args, kwargs, options)


@overload
def llm(name: str, /, *, model: Optional[str] = None, input: Any = None, attributes: Optional[Mapping[str, Any]] = None, retries: int = 0) -> StepSpec: ...
@overload
def llm(
    name: str,
    fn: Callable[..., Any],
    /,
    *args: Any,
    model: Optional[str] = None,
    input: Any = None,
    attributes: Optional[Mapping[str, Any]] = None,
    retries: int = 0,
    **kwargs: Any,
) -> Any: ...


def llm(
    name: str,
    fn: Optional[Callable[..., Any]] = None,
    /,
    *args: Any,
    model: Optional[str] = None,
    input: Any = None,
    attributes: Optional[Mapping[str, Any]] = None,
    retries: int = 0,
    **kwargs: Any,
) -> Any:
    """An `llm` node. `fn` may return `usage(output, tokens_in=, tokens_out=, cost_usd=)`: the node
    records the counts and llm() returns `output`. `model` goes to `attributes.model`. Without
    `fn`: a decorator or a `with` block, like step()."""
    options = _Options(input, attributes, retries, model)
    if fn is None:
        if args or kwargs:
            raise TypeError("runtrail: llm('name', fn, *args): arguments were given but no function")
        return StepSpec("llm", name, options)
    return _invoke("llm", name, fn, args, kwargs, options)


@overload
def tool(name: str, /, *, input: Any = None, attributes: Optional[Mapping[str, Any]] = None, retries: int = 0) -> StepSpec: ...
@overload
def tool(name: str, fn: Callable[..., T], /, *args: Any, input: Any = None, attributes: Optional[Mapping[str, Any]] = None, retries: int = 0, **kwargs: Any) -> T: ...


def tool(
    name: str,
    fn: Optional[Callable[..., Any]] = None,
    /,
    *args: Any,
    input: Any = None,
    attributes: Optional[Mapping[str, Any]] = None,
    retries: int = 0,
    **kwargs: Any,
) -> Any:
    """A `tool` node: calls `fn(*args, **kwargs)`; without `fn`, a decorator or `with` block."""
    options = _Options(input, attributes, retries)
    if fn is None:
        if args or kwargs:
            raise TypeError("runtrail: tool('name', fn, *args): arguments were given but no function")
        return StepSpec("tool", name, options)
    return _invoke("tool", name, fn, args, kwargs, options)


Option = Union[str, Mapping[str, Any]]


def _options_of(name: str, options: Any) -> List[Dict[str, Any]]:
    where = f"runtrail: decide({name!r})"
    if isinstance(options, (str, bytes, Mapping)) or not isinstance(options, (list, tuple)):
        raise TypeError(f"{where}: options must be a list of labels or of {{'label', 'score', 'rationale'}} dicts")
    if not options:
        raise ValueError(f"{where}: options must not be empty")
    out: List[Dict[str, Any]] = []
    seen = set()
    for index, option in enumerate(options):
        if isinstance(option, str):
            entry: Dict[str, Any] = {"label": option}
        elif isinstance(option, Mapping) and isinstance(option.get("label"), str):
            entry = dict(json_safe(dict(option)))
            score = option.get("score")
            if score is not None and (isinstance(score, bool) or not isinstance(score, (int, float))):
                raise TypeError(f"{where}: options[{index}].score must be a number, got {score!r}")
            rationale = option.get("rationale")
            if rationale is not None and not isinstance(rationale, str):
                raise TypeError(f"{where}: options[{index}].rationale must be a string, got {type(rationale).__name__}")
        else:
            raise TypeError(f"{where}: options[{index}] must be a label or a dict with a 'label' string, got {option!r}")
        label = entry["label"]
        if not label:
            raise ValueError(f"{where}: options[{index}] has an empty label")
        if label in seen:
            raise ValueError(f"{where}: the label {label!r} appears twice; labels must be unique")
        seen.add(label)
        out.append(entry)
    return out


def _label_of(name: str, picked: Any, labels: Sequence[str]) -> str:
    if isinstance(picked, str):
        label = picked
    elif isinstance(picked, Mapping) and isinstance(picked.get("label"), str):
        label = picked["label"]
    else:
        raise TypeError(f"runtrail: decide({name!r}): choose must return an option's label or the option itself, got {picked!r}")
    if label not in labels:
        known = ", ".join(repr(known) for known in labels)
        raise ValueError(f"runtrail: decide({name!r}): choose returned {label!r}, which is not one of the options ({known})")
    return label


def decide(name: str, options: Sequence[Option], choose: Callable[[List[Any]], Any]) -> str:
    """A `decision` node recording every option and the chosen one; returns the chosen label.

    `options` are labels or `{"label", "score"?, "rationale"?}` dicts; `choose(options)` gets them
    as given and returns a label or one of the options.
    """
    checked = check_name(name, "decide name")
    normalized = _options_of(checked, options)
    if not callable(choose):
        raise TypeError(f"runtrail: decide({checked!r}, options, choose): choose must be callable, got {type(choose).__name__}")
    labels = [option["label"] for option in normalized]
    run = _recording_run("decide", checked)
    node = _Node.open(
        run,
        "decision",
        checked,
        input={"options": normalized},
        attributes={"options": normalized},
        source=_source(run),
        replayable=True,
        labels=labels,
    )
    if node.override is not None:
        node.succeed({"chosen": node.override}, {"options": normalized, "chosen": node.override, "overridden": True})
        return node.override
    if node.recorded is not None:
        if node.recorded.status == "error":
            raise node.replay_error({"options": normalized})
        recorded = node.recorded.output
        chosen = recorded.get("chosen") if isinstance(recorded, dict) else None
        if chosen in labels:
            node.replay({"options": normalized, "chosen": chosen})
            return str(chosen)
        # The recorded choice is no longer an option: the code changed, so choose live.
        node.recorded = None
        if run is not None and node.id is not None:
            run._send({"id": node.id, "diverged": True})
    token = node.enter()
    try:
        label = _label_of(checked, choose(list(options)), labels)
    except BaseException as error:
        node.fail(error)
        raise
    finally:
        node.leave(token)
    node.succeed({"chosen": label}, {"options": normalized, "chosen": label})
    return label


def log(message: Any, /, **attributes: Any) -> None:
    """A finished `log` node under the current node, named by the message's first line (at most
    200 characters); the whole message is its output, the keyword arguments its attributes."""
    text = message if isinstance(message, str) else str(message)
    name = (text.strip().splitlines() or [""])[0].strip()[:200] or "log"
    run = _recording_run("log", name)
    if run is None:
        return
    node = _Node.open(run, "log", name, attributes=attributes, source=_source(run))
    node.succeed(text)
