"""Templates in a sandbox: Django's engine with no loaders, a short list of tags and filters, and
only the documented variables, given as plain strings and a dict (so nothing reaches a model,
a file or a setting). Pure: no ORM."""
from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from django.template import Context, Engine, Library, TemplateSyntaxError, defaultfilters, defaulttags
from django.template.base import FilterExpression, Node, Template, Variable, VariableNode
from django.template.defaulttags import FilterNode, FirstOfNode, IfNode

# The variables of DESIGN.md §4; metadata only as metadata.KEY.
VARIABLES = ("otp", "expiry_minutes", "app_name", "channel", "locale", "webotp_line", "android_app_hash")
METADATA = "metadata"
# Tags that only branch on or shape text; nothing that loads, includes, reaches settings or URLs,
# loops, binds new names or turns autoescaping off.
ALLOWED_TAGS = ("comment", "filter", "firstof", "if", "spaceless", "templatetag", "verbatim")
# Text filters without side effects; not safe/safeseq (autoescape off), not center/ljust/rjust
# (a width of 10**9 is a memory bomb), not date/floatformat/stringformat/pprint (settings, repr).
ALLOWED_FILTERS = (
    "add", "capfirst", "cut", "default", "default_if_none", "escape", "first", "force_escape", "join",
    "last", "length", "linebreaks", "linebreaksbr", "lower", "pluralize", "slice", "striptags", "title",
    "truncatechars", "truncatewords", "upper", "urlencode", "wordwrap", "yesno",
)
# Rendered parts longer than this are refused (a template cannot make a message grow without bound).
MAX_RENDERED_CHARS = 100_000

register = Library()
for _name in ALLOWED_TAGS:
    register.tags[_name] = defaulttags.register.tags[_name]
for _name in ALLOWED_FILTERS:
    register.filters[_name] = defaultfilters.register.filters[_name]


class SandboxEngine(Engine):
    # Engine adds defaulttags, defaultfilters and loader_tags to any builtins; the sandbox has only its own.
    default_builtins: list[str] = []


# debug=True keeps each token's line for the error; locmem with nothing in it: no template to include.
ENGINE = SandboxEngine(
    loaders=[("django.template.loaders.locmem.Loader", {})], debug=True, builtins=["templates_app.sandbox"],
    autoescape=True, string_if_invalid="",
)


@dataclass(frozen=True)
class TemplateProblem(Exception):
    """Why a template cannot be used; `line` is 1-based within the field."""

    message: str
    line: int | None = None

    def __str__(self) -> str:
        return self.message


def _compile(source: str) -> Template:
    try:
        return Template(source, engine=ENGINE)
    except TemplateSyntaxError as exc:
        debug = getattr(exc, "template_debug", None) or {}
        raise TemplateProblem(_syntax_message(str(exc)), debug.get("line")) from None


def _syntax_message(message: str) -> str:
    tag = re.match(r"Invalid block tag on line \d+: '([^']*)'", message)
    if tag and tag.group(1) not in ALLOWED_TAGS and not tag.group(1).startswith(("end", "el")):
        return f"Tag {{% {tag.group(1)} %}} is not allowed; allowed tags: {', '.join(ALLOWED_TAGS)}"
    filt = re.match(r"Invalid filter: '([^']*)'", message)
    if filt:
        return f"Filter |{filt.group(1)} is not allowed; allowed filters: {', '.join(ALLOWED_FILTERS)}"
    return re.sub(r"\s*Did you forget to register or load this tag\?", "", message)


def _expressions(node: Node) -> Iterator[FilterExpression]:
    """Every filter expression of one node of the allowed tags."""
    if isinstance(node, VariableNode):
        yield node.filter_expression
    elif isinstance(node, FirstOfNode):
        yield from node.vars
    elif isinstance(node, FilterNode):
        yield node.filter_expr
    elif isinstance(node, IfNode):
        for condition, _ in node.conditions_nodelists:
            stack = [condition]
            while stack:
                item = stack.pop()
                if item is None:
                    continue
                if isinstance(getattr(item, "value", None), FilterExpression):
                    yield item.value
                stack += [getattr(item, "first", None), getattr(item, "second", None)]


def _variables(expression: FilterExpression, *, filter_tag: bool = False) -> Iterator[Variable]:
    # {% filter %} applies its filters to an internal `var` (the block's output): only its arguments count.
    if isinstance(expression.var, Variable) and not filter_tag:
        yield expression.var
    for _, args in expression.filters:
        for lookup, arg in args:
            if lookup and isinstance(arg, Variable):
                yield arg


def _walk(nodelist) -> Iterator[Node]:
    for node in nodelist:
        yield node
        for attr in node.child_nodelists:
            yield from _walk(getattr(node, attr, None) or [])


def _lookup_problem(variable: Variable) -> str | None:
    if variable.lookups is None:  # a literal: "text" or 5
        return None
    name = ".".join(variable.lookups)
    if variable.lookups[0] == METADATA:
        if len(variable.lookups) == 2:
            return None
        return f"Unknown variable {{{{ {name} }}}}: use metadata.KEY, one key of the session's metadata"
    if len(variable.lookups) == 1 and name in VARIABLES:
        return None
    return f"Unknown variable {{{{ {name} }}}}; the variables are {', '.join(VARIABLES)} and metadata.KEY"


def template_check(source: str, *, require_otp: bool) -> Template:
    """Compile `source`, refusing syntax errors, forbidden tags and filters, unknown variables and
    (with require_otp) a template without {{ otp }}; raise TemplateProblem with the line."""
    template = _compile(source)
    has_otp = False
    for node in _walk(template.nodelist):
        for expression in _expressions(node):
            for variable in _variables(expression, filter_tag=isinstance(node, FilterNode)):
                problem = _lookup_problem(variable)
                if problem:
                    raise TemplateProblem(problem, node.token.lineno if node.token else None)
            if isinstance(node, VariableNode) and getattr(expression.var, "lookups", None) == ("otp",):
                has_otp = True
    if require_otp and not has_otp:
        raise TemplateProblem("The template must contain {{ otp }}", None)
    return template


def template_render(source: str, values: dict, *, html: bool) -> str:
    """Render a checked template with `values` (plain strings, an int, a dict of strings); HTML
    parts are autoescaped, text parts are not."""
    template = template_check(source, require_otp=False)
    rendered = template.render(Context(values, autoescape=html))
    if len(rendered) > MAX_RENDERED_CHARS:
        raise TemplateProblem(f"The rendered text is over {MAX_RENDERED_CHARS} characters", None)
    return rendered


# Registered text goes out byte for byte: only these placeholders are replaced, as plain text.
_PLACEHOLDER = re.compile(r"\{\{ ?([a-z_]+(?:\.[A-Za-z0-9_]+)?) ?\}\}")


def registered_check(source: str) -> None:
    names = []
    for match in _PLACEHOLDER.finditer(source):
        name = match.group(1)
        names.append(name)
        if name not in VARIABLES and not name.startswith(f"{METADATA}."):
            line = source.count("\n", 0, match.start()) + 1
            raise TemplateProblem(f"Unknown variable {{{{ {name} }}}} in registered text", line)
    if "otp" not in names:
        raise TemplateProblem("The template must contain {{ otp }}", None)


def registered_render(source: str, values: dict) -> str:
    def value(match: re.Match) -> str:
        name = match.group(1)
        if name.startswith(f"{METADATA}."):
            return str(values.get(METADATA, {}).get(name.split(".", 1)[1], ""))
        return str(values.get(name, ""))

    return _PLACEHOLDER.sub(value, source)
