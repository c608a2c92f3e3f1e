"""An executable subset of Linear's GraphQL schema over a rendered Workspace.

The schema is Linear's own SDL (schema.graphql); resolvers read the Workspace.
Any valid query runs: arguments, filters (comparators, nested and collection
filters, and/or), `orderBy`, `includeArchived` and Relay cursors behave as
Linear documents them. Complexity is computed the way Linear describes it: 0.1
point per scalar field, 1 per object, and the children of a connection
multiplied by its page size (`first`, or `last`, 50 when neither is given).
"""

from __future__ import annotations

import base64
import re
from bisect import bisect_right
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from importlib import resources
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLInterfaceType,
    GraphQLObjectType,
    GraphQLResolveInfo,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    build_schema,
    execute_sync,
    get_named_type,
    get_operation_ast,
    is_leaf_type,
    parse,
    validate,
)
from graphql.execution.values import VariableValues, get_argument_values, get_variable_values

from connectors.linear.sim_render import Node, Workspace, iso

DEFAULT_PAGE_SIZE = 50
_CURSOR_SEPARATOR = "|"
_DURATION = re.compile(
    r"^(?P<sign>-)?P(?:(?P<Y>\d+)Y)?(?:(?P<M>\d+)M)?(?:(?P<W>\d+)W)?(?:(?P<D>\d+)D)?"
    r"(?:T(?:(?P<h>\d+)H)?(?:(?P<m>\d+)M)?(?:(?P<s>\d+)S)?)?$"
)
_DURATION_DAYS = {
    "Y": 365.0,
    "M": 30.0,
    "W": 7.0,
    "D": 1.0,
    "h": 1 / 24,
    "m": 1 / 1440,
    "s": 1 / 86400,
}
_ORDERED = frozenset({"gt", "gte", "lt", "lte", "eq", "neq", "in", "nin"})
_OPERATORS = frozenset({
    "eq", "neq", "in", "nin", "gt", "gte", "lt", "lte", "null", "contains", "containsIgnoreCase",
    "endsWith", "eqIgnoreCase", "neqIgnoreCase", "notContains", "startsWith",
})  # fmt: skip


def invalid_input(message: str) -> GraphQLError:
    """A GraphQL error shaped like Linear's for a bad argument."""
    extensions = {"type": "invalid input", "code": "INVALID_INPUT", "statusCode": 400,
                  "userError": True, "userPresentableMessage": message}  # fmt: skip
    return GraphQLError(message, extensions=extensions)


def not_found(entity: str) -> GraphQLError:
    said = f"Could not find referenced {entity}."
    extensions = {"type": "invalid input", "code": "INVALID_INPUT", "statusCode": 404,
                  "userError": True, "userPresentableMessage": said}  # fmt: skip
    return GraphQLError(f"Entity not found: {entity}", extensions=extensions)


# --- filters ------------------------------------------------------------------------


def _moment(value: Any, now: datetime, like: str) -> str:
    """A DateTimeOrDuration (or TimelessDate) argument, in the stored format of `like`."""
    text = str(value)
    duration = _DURATION.match(text)
    if duration and text not in ("P", "-P"):
        days = sum(float(duration[u] or 0) * d for u, d in _DURATION_DAYS.items())
        moment = now + timedelta(days=-days if duration["sign"] else days)
    else:
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            raise invalid_input(f"Invalid date: {text}") from None
        moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return moment.date().isoformat() if len(like) == 10 else iso(moment)


def _compare(value: Any, operator: str, wanted: Any, now: datetime) -> bool:
    if operator == "null":
        return (value is None) == bool(wanted)
    if value is None:
        return operator in ("neq", "nin", "notContains", "neqIgnoreCase")
    if isinstance(value, str) and operator in _ORDERED and _looks_like_time(value):
        wanted = (
            [_moment(w, now, value) for w in wanted]
            if isinstance(wanted, list)
            else (_moment(wanted, now, value))
        )
    return _OPERATIONS[operator](value, wanted)


def _looks_like_time(value: str) -> bool:
    return len(value) >= 10 and value[4] == "-" and value[7] == "-" and value[:4].isdigit()


_OPERATIONS: dict[str, Callable[[Any, Any], bool]] = {
    "eq": lambda v, w: bool(v == w),
    "neq": lambda v, w: bool(v != w),
    "in": lambda v, w: v in w,
    "nin": lambda v, w: v not in w,
    "gt": lambda v, w: bool(v > w),
    "gte": lambda v, w: bool(v >= w),
    "lt": lambda v, w: bool(v < w),
    "lte": lambda v, w: bool(v <= w),
    "contains": lambda v, w: w in v,
    "notContains": lambda v, w: w not in v,
    "containsIgnoreCase": lambda v, w: w.lower() in v.lower(),
    "startsWith": lambda v, w: v.startswith(w),
    "endsWith": lambda v, w: v.endswith(w),
    "eqIgnoreCase": lambda v, w: v.lower() == w.lower(),
    "neqIgnoreCase": lambda v, w: v.lower() != w.lower(),
}


@dataclass(frozen=True)
class Matcher:
    """Evaluates Linear filter inputs (IssueFilter, ProjectFilter...) on nodes."""

    workspace: Workspace

    def matches(self, node: Node, condition: dict[str, Any]) -> bool:
        for name, wanted in condition.items():
            if wanted is None:
                continue
            if name == "and":
                ok = all(self.matches(node, part) for part in wanted)
            elif name == "or":
                ok = any(self.matches(node, part) for part in wanted)
            else:
                ok = self._field(self._value(node, name), wanted)
            if not ok:
                return False
        return True

    def _value(self, node: Node, name: str) -> Any:
        if name == "parent":
            return self.workspace.issue(node["parentId"]) if node.get("parentId") else None
        if name == "accessibleTeams":
            return node["teams"]
        return node.get(name)

    def _field(self, value: Any, wanted: dict[str, Any]) -> bool:
        if isinstance(value, list):
            return self._collection(value, wanted)
        if isinstance(value, dict) or (value is None and not set(wanted) <= _OPERATORS):
            return self._related(value, wanted)
        now = self.workspace.now
        return all(
            _compare(value, op, w, now) for op, w in wanted.items() if w is not None or op == "null"
        )

    def _related(self, value: Node | None, wanted: dict[str, Any]) -> bool:
        rest = {k: v for k, v in wanted.items() if k != "null"}
        if wanted.get("null") is not None and (value is None) != wanted["null"]:
            return False
        if value is None:
            return not rest or wanted.get("null") is True
        return self.matches(value, rest)

    def _collection(self, values: list[Node], wanted: dict[str, Any]) -> bool:
        for name, part in wanted.items():
            if part is None:
                continue
            if name == "some":
                ok = any(self.matches(v, part) for v in values)
            elif name == "every":
                ok = all(self.matches(v, part) for v in values)
            elif name == "length":
                ok = all(_compare(float(len(values)), op, w, self.workspace.now)
                         for op, w in part.items() if w is not None)  # fmt: skip
            elif name == "null":
                ok = (not values) == part
            elif name == "and":
                ok = all(self._collection(values, p) for p in part)
            elif name == "or":
                ok = any(self._collection(values, p) for p in part)
            else:  # a field of the members: true when one of them matches
                ok = any(self.matches(v, {name: part}) for v in values)
            if not ok:
                return False
        return True


# --- pagination ---------------------------------------------------------------------


def encode_cursor(node: Node, order: str) -> str:
    raw = f"{node[order]}{_CURSOR_SEPARATOR}{node['id']}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[str, str]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        value, node_id = raw.rsplit(_CURSOR_SEPARATOR, 1)
    except (ValueError, UnicodeDecodeError):
        raise invalid_input(f"Invalid cursor: {cursor}") from None
    return value, node_id


@dataclass
class Listings:
    """Sorted lists of nodes, rebuilt only when the workspace changed."""

    workspace: Workspace
    _cache: dict[tuple[str, str], tuple[int, list[tuple[str, str]], list[Node]]] = field(
        default_factory=dict
    )

    def sorted(
        self, name: str, order: str, source: Callable[[], Iterable[Node]]
    ) -> tuple[list[tuple[str, str]], list[Node]]:
        cached = self._cache.get((name, order))
        if cached is not None and cached[0] == self.workspace.changed_at:
            return cached[1], cached[2]
        nodes = sorted(source(), key=lambda n: (n[order], n["id"]))
        keys = [(n[order], n["id"]) for n in nodes]
        self._cache[(name, order)] = (self.workspace.changed_at, keys, nodes)
        return keys, nodes


@dataclass
class Groups:
    """Nodes grouped by a key (issues by parent, by project), rebuilt only when the
    workspace changed, so a nested connection does not scan every issue."""

    workspace: Workspace
    _cache: dict[str, tuple[int, dict[Any, list[Node]]]] = field(default_factory=dict)

    def of(self, name: str, key: Callable[[Node], Any], value: Any) -> list[Node]:
        cached = self._cache.get(name)
        if cached is None or cached[0] != self.workspace.changed_at:
            groups: dict[Any, list[Node]] = {}
            for node in self.workspace.issues.values():
                groups.setdefault(key(node), []).append(node)
            cached = self._cache[name] = (self.workspace.changed_at, groups)
        return cached[1].get(value, [])


@dataclass(frozen=True)
class Page:
    nodes: list[Node]
    order: str
    has_next: bool
    has_previous: bool

    def as_connection(self) -> dict[str, Any]:
        cursors = [encode_cursor(n, self.order) for n in self.nodes]
        return {
            "nodes": self.nodes,
            "edges": [{"cursor": c, "node": n} for c, n in zip(cursors, self.nodes, strict=True)],
            "pageInfo": {
                "hasNextPage": self.has_next,
                "hasPreviousPage": self.has_previous,
                "startCursor": cursors[0] if cursors else None,
                "endCursor": cursors[-1] if cursors else None,
            },
        }


@dataclass(frozen=True)
class PageArgs:
    first: int | None
    after: str | None
    last: int | None
    before: str | None
    order: str
    include_archived: bool
    condition: dict[str, Any] | None

    @classmethod
    def of(cls, args: dict[str, Any], max_page_size: int) -> PageArgs:
        for name in ("first", "last"):
            size = args.get(name)
            if size is not None and not 0 <= size <= max_page_size:
                raise invalid_input(f"Argument {name} must be between 0 and {max_page_size}")
        if args.get("first") is not None and args.get("last") is not None:
            raise invalid_input("Only one of first and last can be given")
        return cls(
            first=args.get("first"),
            after=args.get("after"),
            last=args.get("last"),
            before=args.get("before"),
            order=args.get("orderBy") or "createdAt",
            include_archived=bool(args.get("includeArchived")),
            condition=args.get("filter"),
        )


def paginate(
    keys: Sequence[tuple[str, str]], nodes: Sequence[Node], args: PageArgs, matcher: Matcher
) -> Page:
    """One page of `nodes` (sorted by `keys`), filtered and cut as the arguments say."""

    def wanted(node: Node) -> bool:
        if node.get("archivedAt") is not None and not args.include_archived:
            return False
        return args.condition is None or matcher.matches(node, args.condition)

    start = bisect_right(keys, decode_cursor(args.after)) if args.after else 0
    start = max(start, _lower_bound(keys, args, matcher.workspace.now))
    end = len(nodes)
    if args.before:
        end = bisect_right(keys, decode_cursor(args.before)) - 1
    if args.last is None:
        size = DEFAULT_PAGE_SIZE if args.first is None else args.first
        found: list[Node] = []
        index = start
        while index < end and len(found) <= size:
            if wanted(nodes[index]):
                found.append(nodes[index])
            index += 1
        return Page(found[:size], args.order, len(found) > size, start > 0)
    every = [n for n in nodes[start:end] if wanted(n)]
    cut = every[max(len(every) - args.last, 0) :]
    return Page(cut, args.order, end < len(nodes), len(every) > len(cut))


def _lower_bound(keys: Sequence[tuple[str, str]], args: PageArgs, now: datetime) -> int:
    """Skip straight past what an `updatedAt > X` filter excludes when sorted by it."""
    bound = (args.condition or {}).get(args.order) or {}
    if not bound or not keys:
        return 0
    for operator in ("gt", "gte"):
        if bound.get(operator) is not None:
            moment = _moment(bound[operator], now, keys[0][0])
            return bisect_right(keys, (moment, "\uffff" if operator == "gt" else ""))
    return 0


# --- complexity ---------------------------------------------------------------------


@dataclass(frozen=True)
class Complexity:
    schema: GraphQLSchema
    fragments: dict[str, FragmentDefinitionNode]
    variables: VariableValues

    def of(self, selection: SelectionSetNode | None, parent: GraphQLObjectType) -> float:
        total = 0.0
        for node in selection.selections if selection else ():
            if isinstance(node, FieldNode):
                total += self._field(node, parent)
            elif isinstance(node, InlineFragmentNode):
                total += self.of(node.selection_set, self._type(node, parent))
            elif isinstance(node, FragmentSpreadNode):
                fragment = self.fragments[node.name.value]
                total += self.of(fragment.selection_set, self._type(fragment, parent))
        return total

    def _type(
        self, node: InlineFragmentNode | FragmentDefinitionNode, parent: GraphQLObjectType
    ) -> GraphQLObjectType:
        if node.type_condition is None:
            return parent
        found = self.schema.get_type(node.type_condition.name.value)
        return found if isinstance(found, GraphQLObjectType) else parent

    def _field(self, node: FieldNode, parent: GraphQLObjectType | GraphQLInterfaceType) -> float:
        definition = parent.fields.get(node.name.value)
        if definition is None:  # __typename and other introspection
            return 0.0
        named = get_named_type(definition.type)
        if is_leaf_type(named):
            return 0.1
        assert isinstance(named, GraphQLObjectType | GraphQLInterfaceType)
        if not named.name.endswith("Connection"):
            return 1.0 + self.of(node.selection_set, named)  # type: ignore[arg-type]
        args = get_argument_values(definition, node, self.variables)
        size = args.get("first") or args.get("last") or DEFAULT_PAGE_SIZE
        total = 1.0
        for child in node.selection_set.selections if node.selection_set else ():
            cost = self.of(SelectionSetNode(selections=(child,)), named)  # type: ignore[arg-type]
            many = isinstance(child, FieldNode) and child.name.value in ("nodes", "edges")
            total += cost * size if many else cost
        return total


# --- the executable schema ----------------------------------------------------------


@lru_cache(maxsize=1)
def linear_schema() -> GraphQLSchema:
    sdl = resources.files("connectors.linear").joinpath("schema.graphql").read_text()
    schema = build_schema(sdl)
    for (type_name, field_name), resolver in RESOLVERS.items():
        owner = schema.get_type(type_name)
        assert isinstance(owner, GraphQLObjectType), type_name
        owner.fields[field_name].resolve = resolver
    return schema


@lru_cache(maxsize=256)
def parsed(query: str) -> tuple[DocumentNode | None, tuple[GraphQLError, ...]]:
    """A query parsed and validated once (connectors send the same few texts)."""
    try:
        document = parse(query)
    except GraphQLError as error:
        return None, (error,)
    return document, tuple(validate(linear_schema(), document))


@dataclass
class Execution:
    """An operation's outcome: the GraphQL response body and what it cost."""

    body: dict[str, Any]
    complexity: float = 0.0
    errors: Sequence[GraphQLError] = ()
    stage: str = "execute"  # "parse", "validate", "complexity" or "execute"


@dataclass
class Context:
    workspace: Workspace
    listings: Listings
    max_page_size: int
    groups: Groups = field(init=False)

    def __post_init__(self) -> None:
        self.groups = Groups(self.workspace)

    @property
    def matcher(self) -> Matcher:
        return Matcher(self.workspace)


def plan(query: str, variables: dict[str, Any] | None, operation_name: str | None
         ) -> tuple[Execution | None, Any]:  # fmt: skip
    """Parse, validate and coerce: an Execution with the errors, or (None, prepared)."""
    document, errors = parsed(query)
    if document is None:
        return Execution(
            {"errors": [e.formatted for e in errors]}, errors=errors, stage="parse"
        ), None
    if errors:
        return Execution(
            {"errors": [e.formatted for e in errors]}, errors=errors, stage="validate"
        ), None
    operation = get_operation_ast(document, operation_name)
    if operation is None:
        error = GraphQLError("Must provide a valid operation name.")
        return Execution({"errors": [error.formatted]}, errors=[error], stage="validate"), None
    coerced = get_variable_values(
        linear_schema(), operation.variable_definitions or (), variables or {}
    )
    if isinstance(coerced, list):
        return Execution(
            {"errors": [e.formatted for e in coerced]}, errors=coerced, stage="validate"
        ), None
    return None, (document, operation, coerced, variables or {})


def complexity_of(document: DocumentNode, operation: OperationDefinitionNode,
                  variables: VariableValues) -> float:  # fmt: skip
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    root = linear_schema().query_type
    assert root is not None
    return Complexity(linear_schema(), fragments, variables).of(operation.selection_set, root)


def run(document: DocumentNode, operation_name: str | None, variables: dict[str, Any],
        context: Context) -> dict[str, Any]:  # fmt: skip
    result = execute_sync(
        linear_schema(), document, context_value=context, variable_values=variables,
        operation_name=operation_name,
    )  # fmt: skip
    body: dict[str, Any] = {"data": result.data}
    if result.errors:
        body["errors"] = [error.formatted for error in result.errors]
    return body


# --- resolvers ----------------------------------------------------------------------


def _context(info: GraphQLResolveInfo[Context]) -> Context:
    context: Context = info.context
    return context


def _page(info: GraphQLResolveInfo[Context], name: str, source: Callable[[], Iterable[Node]],
          args: dict[str, Any]) -> dict[str, Any]:  # fmt: skip
    context = _context(info)
    page_args = PageArgs.of(args, context.max_page_size)
    keys, nodes = context.listings.sorted(name, page_args.order, source)
    return paginate(keys, nodes, page_args, context.matcher).as_connection()


def _issues(_root: None, info: GraphQLResolveInfo[Context], **args: Any) -> dict[str, Any]:
    workspace = _context(info).workspace
    key = (((args.get("filter") or {}).get("team") or {}).get("key") or {}).get("eq")
    if isinstance(key, str):  # the common case, served from the team's own list
        return _team_issues({"key": key}, info, **args)
    return _page(info, "issues", lambda: workspace.issues.values(), args)


def _team_issues(team: Node, info: GraphQLResolveInfo[Context], **args: Any) -> dict[str, Any]:
    workspace = _context(info).workspace
    key = team["key"]

    def source() -> Iterable[Node]:
        return (n for n in workspace.issues.values() if n["team"]["key"] == key)

    return _page(info, f"team-issues:{key}", source, args)


def _issue(_root: None, info: GraphQLResolveInfo[Context], id: str) -> Node:
    workspace = _context(info).workspace
    found = workspace.issue(id) or next(
        (n for n in workspace.issues.values() if n["identifier"] == id.upper()), None
    )
    if found is None:
        raise not_found("Issue")
    return found


def _projects(_root: None, info: GraphQLResolveInfo[Context], **args: Any) -> dict[str, Any]:
    workspace = _context(info).workspace
    return _page(info, "projects", lambda: workspace.projects.values(), args)


def _project(_root: None, info: GraphQLResolveInfo[Context], id: str) -> Node:
    for node in _context(info).workspace.projects.values():
        if id in (node["id"], node["slugId"]):
            return node
    raise not_found("Project")


def _initiatives(_root: None, info: GraphQLResolveInfo[Context], **args: Any) -> dict[str, Any]:
    workspace = _context(info).workspace
    return _page(info, "initiatives", lambda: workspace.initiatives.values(), args)


def _initiative(_root: None, info: GraphQLResolveInfo[Context], id: str) -> Node:
    for node in _context(info).workspace.initiatives.values():
        if node["id"] == id:
            return node
    raise not_found("Initiative")


def _teams(_root: None, info: GraphQLResolveInfo[Context], **args: Any) -> dict[str, Any]:
    workspace = _context(info).workspace
    return _page(info, "teams", lambda: workspace.teams.values(), args)


def _team(_root: None, info: GraphQLResolveInfo[Context], id: str) -> Node:
    for node in _context(info).workspace.teams.values():
        if id in (node["id"], node["key"]):
            return node
    raise not_found("Team")


def _users(_root: None, info: GraphQLResolveInfo[Context], **args: Any) -> dict[str, Any]:
    workspace = _context(info).workspace
    return _page(info, "users", lambda: workspace.users.values(), args)


def _viewer(_root: None, info: GraphQLResolveInfo[Context]) -> Node:
    return next(iter(_context(info).workspace.users.values()))


def _small_page(info: GraphQLResolveInfo[Context], values: Iterable[Node],
                args: dict[str, Any]) -> dict[str, Any]:  # fmt: skip
    """A connection over a few nodes, sorted on the spot."""
    page_args = PageArgs.of(args, _context(info).max_page_size)
    ordered = sorted(values, key=lambda n: (n[page_args.order], n["id"]))
    keys = [(n[page_args.order], n["id"]) for n in ordered]
    return paginate(keys, ordered, page_args, _context(info).matcher).as_connection()


def _members(name: str) -> Callable[..., dict[str, Any]]:
    """A connection field over a list (or dict) the node holds."""

    def resolve(node: Node, info: GraphQLResolveInfo[Context], **args: Any) -> dict[str, Any]:
        held = node[name]
        return _small_page(info, held.values() if isinstance(held, dict) else held, args)

    return resolve


def _parent(node: Node, info: GraphQLResolveInfo[Context]) -> Node | None:
    return _context(info).workspace.issue(node["parentId"]) if node.get("parentId") else None


def _children(node: Node, info: GraphQLResolveInfo[Context], **args: Any) -> dict[str, Any]:
    children = _context(info).groups.of("by-parent", lambda n: n["parentId"], node["id"])
    return _small_page(info, children, args)


def _project_issues(node: Node, info: GraphQLResolveInfo[Context], **args: Any) -> dict[str, Any]:
    groups = _context(info).groups
    issues = groups.of("by-project", lambda n: n["project"] and n["project"]["id"], node["id"])
    return _small_page(info, issues, args)


def _team_projects(node: Node, info: GraphQLResolveInfo[Context], **args: Any) -> dict[str, Any]:
    workspace, key = _context(info).workspace, node["key"]

    def source() -> Iterable[Node]:
        return (p for p in workspace.projects.values() if any(t["key"] == key for t in p["teams"]))

    return _page(info, f"team-projects:{key}", source, args)


RESOLVERS: dict[tuple[str, str], Callable[..., Any]] = {
    ("Query", "issues"): _issues,
    ("Query", "issue"): _issue,
    ("Query", "projects"): _projects,
    ("Query", "project"): _project,
    ("Query", "initiatives"): _initiatives,
    ("Query", "initiative"): _initiative,
    ("Query", "teams"): _teams,
    ("Query", "team"): _team,
    ("Query", "users"): _users,
    ("Query", "viewer"): _viewer,
    ("Issue", "labels"): _members("labels"),
    ("Issue", "parent"): _parent,
    ("Issue", "children"): _children,
    ("Project", "issues"): _project_issues,
    ("Project", "teams"): _members("teams"),
    ("Project", "initiatives"): _members("initiatives"),
    ("Initiative", "projects"): _members("projects"),
    ("Team", "issues"): _team_issues,
    ("Team", "projects"): _team_projects,
    ("Team", "states"): _members("states"),
    ("Team", "cycles"): _members("cycles"),
}
