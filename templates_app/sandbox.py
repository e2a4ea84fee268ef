"""Templates in a sandbox: Django's engine with no loaders, a short list of tags and filters, and
only the documented variables, given as plain strings and a dict (so nothing reaches a model,
a file or a setting). Pure: no ORM."""
from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterator
from contextvars import ContextVar
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
# What all the filters of one render may write together: chains of |add or |join cannot add up to a
# memory or CPU bomb before the rendered length is checked.
MAX_FILTERED_CHARS = 10 * MAX_RENDERED_CHARS
# Compiled templates kept per process for rendering (_checked), by the total length of their
# sources: a few hundred real templates (an SMS body ~160 characters, an email's HTML a few KB).
RENDER_CACHE_CHARS = 300_000
_filtered = ContextVar("sandbox_filtered_chars")


class _FilterFailure(Exception):
    """A filter refused its input or argument (mutable: the engine annotates it with the line)."""


def _guarded(name: str, func: Callable) -> Callable:
    """`func` with its output bounded and its errors (|wordwrap:0, |add:1e400) reported, not raised
    as a 500; flags (is_safe, needs_autoescape) and the signature the parser checks are kept."""

    @functools.wraps(func)
    def guarded(value, *args, **kwargs):
        budget = _filtered.get(None)
        if name == "join" and args and isinstance(value, (str, list, tuple, dict)):
            # One join writes len(value) copies of its argument: refuse before building it.
            if len(value) * (len(str(args[0])) + 1) > MAX_RENDERED_CHARS:
                raise _FilterFailure(f"Filter |{name} would write over {MAX_RENDERED_CHARS} characters")
        try:
            result = func(value, *args, **kwargs)
        except Exception as exc:  # the filters' own errors: bad widths, numbers, types
            raise _FilterFailure(f"Filter |{name} cannot take this value or argument ({type(exc).__name__})") from None
        size = len(result) if isinstance(result, str) else 0
        if size > MAX_RENDERED_CHARS:
            raise _FilterFailure(f"Filter |{name} wrote over {MAX_RENDERED_CHARS} characters")
        if budget is not None:
            budget[0] += size
            if budget[0] > MAX_FILTERED_CHARS:
                raise _FilterFailure(f"The filters wrote over {MAX_FILTERED_CHARS} characters in all")
        return result

    return guarded


register = Library()
for _name in ALLOWED_TAGS:
    register.tags[_name] = defaulttags.register.tags[_name]
for _name in ALLOWED_FILTERS:
    register.filters[_name] = _guarded(_name, defaultfilters.register.filters[_name])


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
    except RecursionError:
        raise TemplateProblem("The template nests its tags too deeply", None) from None
    except Exception:  # a tag's own parser failing on odd arguments, e.g. {% filter %} alone
        raise TemplateProblem("The template cannot be compiled: check the arguments of its tags", None) from None


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


_compiled: dict[str, Template] = {}
_compiled_chars = 0


def _checked(source: str) -> Template:
    """The checked template of `source`, compiled once per process while it fits the budget.

    Compiling and checking costs ~2 ms, more than rendering, and every delivery renders: compiled
    templates are kept by their source, as Django's cached loader does (a compiled Template holds
    no render state, so one serves every render; a changed template is a new source, so nothing
    stale is rendered). Bounded by the sources' total length, not their number: a preview can
    compile any source a caller sends, and a compiled template can weigh ~100 bytes per character
    of source, so RENDER_CACHE_CHARS bounds it at a few tens of MB. Full, it empties.
    """
    global _compiled_chars
    template = _compiled.get(source)
    if template is not None:
        return template
    template = template_check(source, require_otp=False)
    if len(source) <= RENDER_CACHE_CHARS:
        if _compiled_chars + len(source) > RENDER_CACHE_CHARS:
            _compiled.clear()
            _compiled_chars = 0
        _compiled[source] = template
        _compiled_chars += len(source)
    return template


def compiled_clear() -> None:
    global _compiled_chars
    _compiled.clear()
    _compiled_chars = 0


def template_render(source: str, values: dict, *, html: bool) -> str:
    """Render a checked template with `values` (plain strings, an int, a dict of strings); HTML
    parts are autoescaped, text parts are not."""
    template = _checked(source)
    budget = _filtered.set([0])
    try:
        rendered = template.render(Context(values, autoescape=html))
    except _FilterFailure as exc:
        line = (getattr(exc, "template_debug", None) or {}).get("line")
        raise TemplateProblem(str(exc), line) from None
    except RecursionError:
        raise TemplateProblem("The template nests its tags too deeply", None) from None
    finally:
        _filtered.reset(budget)
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
