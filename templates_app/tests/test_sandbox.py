"""The template sandbox: documented variables only, no tag that reaches files, settings or URLs,
HTML escaped in HTML parts only, {{ otp }} required, problems reported with their line."""
import html

import pytest
from hypothesis import given
from hypothesis import strategies as st

from templates_app.rendering import FieldProblem, template_fields_check, template_values
from templates_app.sandbox import (
    TemplateProblem,
    registered_check,
    registered_render,
    template_check,
    template_render,
)

FORBIDDEN_TAGS = [
    "{% load static %}", "{% include 'x.html' %}", "{% extends 'base.html' %}", "{% ssi '/etc/passwd' %}",
    "{% debug %}", "{% url 'admin:index' %}", "{% static 'x.css' %}", "{% csrf_token %}", "{% now 'Y' %}",
    "{% autoescape off %}x{% endautoescape %}", "{% for c in otp %}{{ c }}{% endfor %}", "{% with a=otp %}{% endwith %}",
    "{% block b %}{% endblock %}", "{% lorem %}", "{% widthratio 1 2 3 %}", "{% regroup x by y as z %}",
    "{% cycle 'a' 'b' %}", "{% querystring %}", "{% templatetag openblock %}{% get_current_language as l %}",
]
FORBIDDEN_FILTERS = ["safe", "safeseq", "center:'999999999'", "ljust:'99'", "rjust:'99'", "date", "pprint",
                     "stringformat:'s'", "floatformat", "filesizeformat", "json_script:'x'", "escapejs"]
UNKNOWN_VARIABLES = ["settings", "request", "user", "account", "otp.upper", "app_name.__class__", "metadata",
                     "metadata.a.b", "block", "forloop", "csrf_token", "SECRET_KEY", "code"]


def values(**overrides):
    base = template_values(code="123456", expiry_minutes=10, app_name="Acme", channel="sms", locale="en", metadata={})
    return {**base, **overrides}


@pytest.mark.parametrize("tag", FORBIDDEN_TAGS)
def test_tags_that_load_include_or_reach_settings_are_refused(tag):
    with pytest.raises(TemplateProblem) as problem:
        template_check("Code {{ otp }}\n" + tag, require_otp=True)
    assert problem.value.line == 2
    assert "not allowed" in problem.value.message


@pytest.mark.parametrize("name", FORBIDDEN_FILTERS)
def test_filters_that_unescape_reach_settings_or_pad_without_bound_are_refused(name):
    with pytest.raises(TemplateProblem, match="not allowed") as problem:
        template_check("{{ otp }}\n\n{{ app_name|" + name + " }}", require_otp=True)
    assert problem.value.line == 3


@pytest.mark.parametrize("name", UNKNOWN_VARIABLES)
def test_unknown_variables_are_refused_with_their_line(name):
    with pytest.raises(TemplateProblem) as problem:
        template_check("{{ otp }}\nline two\n{% if x %}{% endif %}".replace("x", name), require_otp=True)
    assert problem.value.line == 3


def test_variables_hidden_in_filter_arguments_and_conditions_are_checked():
    for source in ("{{ otp|add:secret }}", "{% if otp and secret %}{% endif %}{{ otp }}",
                   "{% firstof secret otp %}{{ otp }}", "{% filter lower %}{{ secret }}{% endfilter %}{{ otp }}",
                   "{% if otp %}{% elif not secret %}{% endif %}{{ otp }}"):
        with pytest.raises(TemplateProblem, match="secret"):
            template_check(source, require_otp=True)


def test_syntax_errors_give_the_line():
    with pytest.raises(TemplateProblem) as problem:
        template_check("{{ otp }}\n{% if %}\n", require_otp=True)
    assert problem.value.line == 2
    with pytest.raises(TemplateProblem) as problem:
        template_check("{{ otp }}\nb\n{{ }}\n", require_otp=True)
    assert problem.value.line == 3


@given(st.text(max_size=200))
def test_a_template_without_otp_is_refused(text):
    text = text.replace("otp", "")
    with pytest.raises(TemplateProblem):
        template_check(text, require_otp=True)


@given(st.text(max_size=100))
def test_html_parts_escape_every_value_and_text_parts_keep_it(value):
    source = "{{ otp }} {{ app_name }} {{ metadata.note }}"
    vals = values(app_name=value, metadata={"note": value})
    assert template_render(source, vals, html=True) == f"123456 {html.escape(value)} {html.escape(value)}"
    assert template_render(source, vals, html=False) == f"123456 {value} {value}"


@given(st.dictionaries(st.from_regex(r"[a-z][a-z0-9_]{0,10}", fullmatch=True),
                       st.one_of(st.text(max_size=20), st.integers(), st.booleans(), st.none(),
                                 st.lists(st.integers(), max_size=3)), max_size=5))
def test_metadata_values_render_as_text_and_missing_keys_as_nothing(metadata):
    vals = template_values(code="1", expiry_minutes=1, app_name="A", channel="sms", locale="en", metadata=metadata)
    for key, value in metadata.items():
        rendered = template_render("{{ metadata." + key + " }}", vals, html=False)
        assert rendered == (value if isinstance(value, str) else vals["metadata"][key])
        assert isinstance(vals["metadata"][key], str)
    assert template_render("[{{ metadata.absent_key_x }}]", vals, html=False) == "[]"


def test_values_reach_no_attribute_of_a_model_or_setting():
    vals = values()
    assert {type(v) for v in vals.values()} <= {str, int, dict}
    assert all(type(v) is str for v in vals["metadata"].values())


def test_webotp_line_is_the_origin_bound_format():
    vals = template_values(code="654321", expiry_minutes=5, app_name="A", channel="sms", locale="en",
                           metadata={}, webotp_domain="example.com")
    assert template_render("{{ otp }}\n\n{{ webotp_line }}", vals, html=False) == "654321\n\n@example.com #654321"


def test_registered_text_goes_out_byte_for_byte_with_only_the_placeholders_replaced():
    source = "Dear customer, {{ otp }} is your OTP for {{app_name}} {% if %} <b>&amp; 50%  \n  {#var#}"
    registered_check(source)
    assert registered_render(source, values(app_name="A&B")) == (
        "Dear customer, 123456 is your OTP for A&B {% if %} <b>&amp; 50%  \n  {#var#}"
    )
    with pytest.raises(TemplateProblem):
        registered_check("no code here")
    with pytest.raises(TemplateProblem) as problem:
        registered_check("{{ otp }}\n{{ secret }}")
    assert problem.value.line == 2


def test_fields_that_do_not_belong_to_the_channel_are_refused():
    with pytest.raises(FieldProblem) as problem:
        template_fields_check(key="otp_sms", fields={"body": "{{ otp }}", "subject": "Hi"})
    assert problem.value.field == "subject"
    with pytest.raises(FieldProblem) as problem:
        template_fields_check(key="otp_email", fields={"body": "{{ otp }}", "html": "<p>no code</p>"})
    assert problem.value.field == "html"
    with pytest.raises(FieldProblem) as problem:
        template_fields_check(key="otp_email", fields={"body": "{{ otp }}", "registered": True})
    assert problem.value.field == "registered"


def test_whatsapp_content_binding_needs_a_sid_and_maps_the_code():
    ok = {"body": "{{ otp }}", "content_sid": "HX" + "a" * 32, "content_variables": {"1": "otp", "2": "metadata.x"}}
    template_fields_check(key="otp_whatsapp", fields=ok)
    for bad in ({**ok, "content_sid": "MG123"}, {**ok, "content_variables": {"1": "app_name"}},
                {**ok, "content_variables": {"one": "otp"}}, {**ok, "content_variables": {"1": "secret"}},
                {"body": "{{ otp }}", "content_variables": {"1": "otp"}}):
        with pytest.raises(FieldProblem) as problem:
            template_fields_check(key="otp_whatsapp", fields=bad)
        assert problem.value.field in {"content_sid", "content_variables"}


def test_sender_is_an_alphanumeric_id_or_a_real_number():
    for sender in ("Acme", "ACME 2", "+14155550100"):
        template_fields_check(key="otp_sms", fields={"body": "{{ otp }}", "sender": sender})
    for sender in ("123456789012", "Acme-Bank", "+1234567890", "ÄCME"):
        with pytest.raises(FieldProblem):
            template_fields_check(key="otp_sms", fields={"body": "{{ otp }}", "sender": sender})


def test_filter_chains_that_multiply_the_text_are_refused_before_they_build_it():
    # Each |join writes its argument between every character: five of them would be terabytes.
    bomb = "{{ otp" + "|join:'xxxxxxxxxxxxxxxxxxxx'" * 5 + " }}"
    with pytest.raises(TemplateProblem, match=r"\|join"):
        template_render(bomb, values(), html=False)
    add_chain = "{{ otp }}{{ metadata.a" + "|add:metadata.a" * 400 + " }}"
    with pytest.raises(TemplateProblem, match=r"\|add|in all"):
        template_render(add_chain, values(metadata={"a": "x" * 4000}), html=True)


def test_many_filtered_values_together_are_bounded_too():
    source = "{{ otp }}" + "{{ metadata.a|join:metadata.b }}" * 200
    with pytest.raises(TemplateProblem, match="in all"):
        template_render(source, values(metadata={"a": "x" * 300, "b": "y" * 300}), html=False)


@pytest.mark.parametrize("expression", [
    "otp|wordwrap:0", "otp|wordwrap:-1", "otp|wordwrap:app_name", "otp|wordwrap:'1e5'", "otp|add:1e400",
    "1e400|add:otp", "otp|pluralize:expiry_minutes",
])
def test_a_filter_that_fails_on_its_argument_is_a_problem_with_its_line(expression):
    with pytest.raises(TemplateProblem, match="cannot take") as problem:
        template_render("{{ otp }}\n{{ " + expression + " }}", values(), html=False)
    assert problem.value.line == 2
    assert "123456" not in problem.value.message


@pytest.mark.parametrize("source", [
    "{{ otp }}{% filter %}x{% endfilter %}", "{{ otp }}" + "{% if 1 %}" * 500 + "{% endif %}" * 500,
])
def test_tags_that_break_the_engine_are_refused_as_problems(source):
    with pytest.raises(TemplateProblem):
        template_check(source, require_otp=True)


def test_a_template_rendered_again_is_not_compiled_again_and_each_source_renders_its_own():
    from templates_app import sandbox

    sandbox.compiled_clear()
    vals = {"otp": "123456", "metadata": {}}
    first = [template_render("A {{ otp }}", vals, html=False) for _ in range(3)]
    other = template_render("B {{ otp }}", vals, html=False)
    assert first == ["A 123456"] * 3 and other == "B 123456"
    assert set(sandbox._compiled) == {"A {{ otp }}", "B {{ otp }}"}
    kept = sandbox._compiled["A {{ otp }}"]
    template_render("A {{ otp }}", vals, html=False)
    assert sandbox._compiled["A {{ otp }}"] is kept  # not compiled again
    # A source that fails its check is refused every time, never kept.
    for _ in range(2):
        with pytest.raises(TemplateProblem):
            template_render("{{ nope }}", vals, html=False)
    assert len(sandbox._compiled) == 2


def test_compiled_templates_are_bounded_by_their_sources_length_whatever_callers_send(monkeypatch):
    # A preview compiles any source a caller sends: many distinct large ones must not pile up.
    from templates_app import sandbox

    sandbox.compiled_clear()
    monkeypatch.setattr(sandbox, "RENDER_CACHE_CHARS", 10_000)
    vals = {"otp": "1", "metadata": {}}
    for n in range(50):
        template_render(f"{n} " + "{{ otp }}" * 400, vals, html=False)  # ~3,600 characters each
        assert sandbox._compiled_chars <= 10_000
        assert sum(map(len, sandbox._compiled)) == sandbox._compiled_chars
    template_render("x" * 20_000 + "{{ otp }}", vals, html=False)  # longer than the whole budget
    assert all(len(source) < 20_000 for source in sandbox._compiled)
