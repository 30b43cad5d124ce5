#!/usr/bin/env python3
"""Writes jinja_expressions.json: one-line templates over the Jinja features chat templates use
(filters, tests, string methods, tojson, Python's number and string printing, loops, macros,
whitespace control), each with what jinja2 renders in Hugging Face's `apply_chat_template`
environment (transformers 4.46: ImmutableSandboxedEnvironment, trim_blocks, lstrip_blocks,
loopcontrols, its own tojson and raise_exception), or the error it raises.

    pip install jinja2==3.1.6 && python3 Tests/Fixtures/make_jinja_fixtures.py
"""
import json
import os
from datetime import datetime

import jinja2
from jinja2.ext import Extension, loopcontrols
from jinja2.sandbox import ImmutableSandboxedEnvironment


class Generation(Extension):
    tags = {"generation"}
    def parse(self, parser):
        lineno = next(parser.stream).lineno
        body = parser.parse_statements(["name:endgeneration"], drop_needle=True)
        return jinja2.nodes.CallBlock(self.call_method("_support"), [], [], body).set_lineno(lineno)
    def _support(self, caller):
        return caller()

def raise_exception(message):
    raise jinja2.exceptions.TemplateError(message)

def tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False):
    return json.dumps(x, ensure_ascii=ensure_ascii, indent=indent, separators=separators, sort_keys=sort_keys)

def strftime_now(fmt):
    return datetime.now().strftime(fmt)

env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True, extensions=[Generation, loopcontrols])
env.filters["tojson"] = tojson
env.globals["raise_exception"] = raise_exception
env.globals["strftime_now"] = strftime_now


# The variables every line sees.
V = {"s": "  Héllo, Wörld!  ", "e": "e\u0301t\u00e9 🇫🇷 x", "n": 7, "f": 2.5, "neg": -3, "l": [3, 1, 2], "empty": [], "none": None,
     "d": {"b": 1, "a": [1, 2.0, None, True, "x"], "c": {"k": "v"}}, "t": True, "crlf": "a\r\nb\nc",
     "msgs": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "yo"}, {"role": "user", "content": "bye"}],
     "floats": [0.1, 1e-7, 1e16, 1.5e300, 123456789.125, -0.0, 1e15, 2.0, 0.5, 1/3]}

# One template per line.
TEMPLATES = r"""
{{ s | trim }}|{{ s.strip() }}|{{ s.lstrip() }}|{{ s.rstrip() }}|{{ s.strip(' !H') }}
{{ e | length }}|{{ e[1] }}|{{ e[:3] }}|{{ e[::-1] }}|{{ e | reverse }}|{{ e.upper() }}|{{ e | list }}
{{ crlf.split('\n') }}|{{ crlf.splitlines() }}|{{ crlf | trim }}|{{ crlf.split() }}|{{ 'a,b,,c'.split(',') }}|{{ 'a b  c'.split(' ', 1) }}|{{ 'a,b,c'.rsplit(',', 1) }}
{{ n }} {{ f }} {{ neg }} {{ n / 2 }} {{ n // 2 }} {{ neg // 2 }} {{ neg % 5 }} {{ f * 2 }} {{ 2 ** -1 }} {{ 10 / 5 }} {{ n * f }} {{ -n }}
{{ floats }}
{{ floats | tojson }}
{% for x in floats %}{{ x }};{% endfor %}
{{ floats | map('round') | list }} {{ 2.567 | round(2) }} {{ 2.5 | round }} {{ 3.5 | round }} {{ 7 | round }} {{ 2.567 | round(1, 'floor') }}
{{ d }} {{ d | tojson }} {{ d | tojson(indent=2) }} {{ d | tojson(sort_keys=true) }} {{ d | tojson(separators=(',', ':')) }}
{{ d.items() | list | length }} {{ d.keys() | list }} {{ d.values() | list }} {{ d | dictsort | map('list') | list }} {{ {'b': 1, 'A': 2, 'a': 0} | dictsort | map('last') | list }} {{ {'b': 1, 'A': 2, 'c': 0} | dictsort(by='value', reverse=true) | map('first') | join }} {{ d | length }} {{ d.get('zz') }} {{ d.get('b') }} {{ d['c']['k'] }} {{ d.c.k }}
{% for k, v in d.items() %}{{ k }}={{ v }},{% endfor %} {% for k in d %}{{ k }}{% endfor %}
{{ l | sort }} {{ l | sort(reverse=true) }} {{ l | max }} {{ l | min }} {{ l | sum }} {{ l | first }} {{ l | last }} {{ l | join('-') }} {{ l | unique | list }} {{ l | batch(2) | list }}
{{ msgs | map(attribute='role') | join(',') }} {{ msgs | selectattr('role', 'equalto', 'user') | list | length }} {{ msgs | rejectattr('role', 'eq', 'user') | map(attribute='content') | first }} {{ msgs | selectattr('role', 'in', ['user']) | list | count }}
{{ msgs[-1].content }} {{ msgs[1:] | length }} {{ (msgs | last)['role'] }} {{ msgs | map(attribute='missing', default='dflt') | list }}
{% for m in msgs %}{{ loop.index }}{{ loop.index0 }}{{ loop.revindex }}{{ loop.first }}{{ loop.last }}{{ loop.length }}{{ loop.cycle('a', 'b') }}{{ loop.previtem.role if loop.previtem is defined else '-' }};{% endfor %}
{% for m in msgs if m.role == 'user' %}{{ loop.index }}:{{ m.content }}{{ loop.last }};{% else %}none{% endfor %}
{{ none }} {{ none is none }} {{ none | string }} {{ t }} {{ t | string }} {{ t | int }} {{ '42' | int }} {{ '4.5' | float }} {{ 'x' | int }} {{ '3.9' | int }} {{ 3.9 | int }} {{ n | string | length }} {{ none | default('D') }} {{ undefined_var | default('U') }} {{ '' | default('E', true) }} {{ '' | default('E') }}
{{ 'abc' is string }} {{ 1 is number }} {{ 1.0 is integer }} {{ 1 is integer }} {{ none is string }} {{ d is mapping }} {{ l is iterable }} {{ 'x' is iterable }} {{ l is sequence }} {{ d is sequence }} {{ n is odd }} {{ n is even }} {{ n is divisibleby 7 }} {{ true is boolean }} {{ true is true }} {{ 0 is false }} {{ 'x' is in 'xyz' }} {{ l is defined }} {{ zz is undefined }} {{ 'AB' is upper }} {{ 'ab' is lower }} {{ n is eq 7 }} {{ n is gt 3 }} {{ n is ge 7 }} {{ n is lt 3 }} {{ n is ne 3 }} {{ none is sameas none }} {{ d.c is mapping }} {{ 1.5 is float }}
{{ 'Hello World'.title() }} {{ 'hello world' | title }} {{ "it's o'k" | title }} {{ 'HELLO' | capitalize }} {{ 'hello'.capitalize() }} {{ 'a-b-c'.replace('-', '+', 1) }} {{ 'abcabc'.count('b') }} {{ 'abc'.find('c') }} {{ 'abc'.index('b') }} {{ 'abc'.startswith(('x', 'a')) }} {{ 'abc'.endswith('bc') }} {{ 'x={} y={}'.format(1, 'two') }} {{ '%s and %d' % ('a', 3) }} {{ 'ab' ~ 1 ~ none }} {{ 'ab' + 'cd' }} {{ 'ab' * 3 }}
{{ ' x '.isspace() }} {{ '12'.isdigit() }} {{ 'ab'.isalpha() }} {{ 'Ab1'.isalnum() }} {{ 'ab'.islower() }} {{ 'AB'.isupper() }} {{ 'a b'.split(' ') | join('|') }} {{ '-'.join(['a', 'b']) }} {{ 'abc'.center(7, '*') }} {{ 'a' | center(5) }}
{{ "quote'\"s" }} {{ 'tab\there' }} {{ 'uni\u00e9' }} {{ "nl\\n" }} {{ 'a' 'b' }} {{ ['a', "b'c", 'd"e', 'f\\g', none, 1.0, true, {'k': [1]}] }} {{ ('x', 1) | list }} {{ (1,) | length }} {{ () | length }}
{{ 'x' if t }}|{{ 'x' if not t }}|{{ 'y' if none else 'n' }}|{{ t and 'a' or 'b' }}|{{ none or 'z' }}|{{ 0 and 1 }}|{{ [] or {} }}|{{ not none }}
{% set a, b = 1, 2 %}{{ a }}{{ b }} {% set ns = namespace(x=0, y='s') %}{% for i in range(3) %}{% set ns.x = ns.x + i %}{% endfor %}{{ ns.x }}{{ ns.y }} {% set q %}block {{ n }}{% endset %}{{ q | upper }}
{% macro m(a, b='B', c=none) -%}[{{ a }}|{{ b }}|{{ c }}]{%- endmacro %}{{ m(1) }}{{ m(1, 2) }}{{ m(1, c=3) }}{{ m('x', b='y', c='z') }}
{% filter upper %}filtered {{ n }}{% endfilter %} {{ range(5) | list }} {{ range(1, 10, 3) | list }} {{ range(5, 0, -2) | list }}
{{ 'abc' in 'xabcx' }} {{ 'a' in d }} {{ 'zz' in d }} {{ 1 in l }} {{ 5 not in l }} {{ 'role' in msgs[0] }} {{ d['a'][1:3] }} {{ l[5] is defined }} {{ d.zz is defined }} {{ (d.a | length) > 3 }}
{{ '{{' }} {{ '}}' }} {{ '{%' }} x {# comment #} y {#- trimmed -#} z
{{ s | wordcount }} {{ s | lower }} {{ s | upper | trim }} {{ 'a\nb' | indent(2) }} {{ 'a\nb' | indent(2, true) }} {{ 'x<y & "z"' | e }} {{ 'x<y' | safe }} {{ l | string }} {{ d | string }} {{ 3 | abs }} {{ -2.5 | abs }} {{ l | reverse | list }} {{ 'b' | replace('b', 'c') }}
{{ n > f }} {{ n == 7.0 }} {{ 'a' < 'b' }} {{ l == [3, 1, 2] }} {{ d == d }} {{ 1 == true }} {{ 0 == false }} {{ none == none }} {{ 'a' != 'b' }} {{ [1, 2] < [1, 3] }} {{ 2 < 3 < 4 }}
{{ d | items | map('list') | list }} {{ d | list }} {{ l | map('string') | join }} {{ l | select('odd') | list }} {{ l | reject('odd') | list }} {{ l | sort | first }} {{ ['b', 'A', 'c'] | sort }} {{ ['b', 'A', 'c'] | sort(case_sensitive=true) }}
{{ l | length is odd }} {{ s[2:7] | upper }} {{ -n | abs }} {{ (n + 1) * 2 }} {{ n + f }} {{ 'x' ~ n ~ f }} {{ [1] + [2] }} {{ l[0] + l[-1] }}
{{ d | tojson(ensure_ascii=true) }} {{ e | tojson }} {{ e | tojson(ensure_ascii=true) }} {{ '</script>&\'' | tojson }} {{ none | tojson }} {{ t | tojson }} {{ 'x\u0001\u007f\u2028' | tojson }} {{ l | tojson(indent=1) }} {{ [] | tojson(indent=2) }} {{ {} | tojson(indent=2) }} {{ [[], {}] | tojson(indent=2) }}
{% for i in range(3) %}{% for j in range(3) %}{% if j == 1 %}{% continue %}{% endif %}{% if i == 2 %}{% break %}{% endif %}{{ i }}{{ j }}{{ loop.index }}{% endfor %}{{ loop.index }}|{% endfor %}
{% if t %}{% set leaked = 'yes' %}{% endif %}{{ leaked }} {% for i in [1] %}{% set inner = 1 %}{% endfor %}{{ inner is defined }} {% macro mm() %}{% set z = 5 %}{{ z }}{% endmacro %}{{ mm() }}{{ z is defined }}
{% macro rec(n) %}{% if n > 0 %}{{ n }}{{ rec(n - 1) }}{% endif %}{% endmacro %}{{ rec(3) }} {{ rec is callable }}
{{ 1 + 'a' }}
{{ none.x }} {{ none['y'] }}
{{ undefined_thing.attr }}
{{ [1, 2] | join(', ') }} {{ ['a', 2, none] | join }}
{{ l | sum(start=10) }} {{ msgs | map(attribute='content') | join(' ') | upper }} {{ 'x' | list }} {{ 3 | string | list }}
{{ none | length }}
{{ 5 | first }}
{{ 10 // 0 }}
{{ l | batch(2) | list }} {{ 'abcdef' | batch(4, 'x') | list }} {{ 'hello world foo' | wordcount }} {{ 'a-b c_d e1' | wordcount }}
{{ 'x\\ny\\n' | indent(3) }}|{{ 'x\n\ny' | indent(2, blank=true) }}|{{ 'x\ny' | indent('> ', true) }}
{{ 0.1 + 0.2 }} {{ 1e300 * 1e10 }} {{ -1e300 * 1e10 }} {{ 7.0 // 2 }} {{ -7.5 // 2 }} {{ -7.5 % 2 }} {{ 7 % -3 }} {{ -7 // 2 }} {{ 2 ** 62 }} {{ 2 ** 0.5 }} {{ 10 / 4 }} {{ 1 / 3 * 3 }} {{ 1e-5 }} {{ 0.0001 }} {{ 123456789012345.67 }} {{ 1e22 }} {{ 5e-324 }} {{ 1.7976931348623157e308 }}
{{ 'a' ~ 1.0 ~ 2 ~ true ~ [1, 'b'] ~ {'k': none} }}
"""

cases = []
for source in TEMPLATES.strip("\n").split("\n"):
    try:
        cases.append({"source": source, "rendered": env.from_string(source).render(**V)})
    except Exception as error:
        cases.append({"source": source, "error": f"{type(error).__name__}: {error}"})
path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "jinja_expressions.json")
with open(path, "w") as f:
    json.dump({"variables": V, "cases": cases}, f, ensure_ascii=False, indent=1)
    f.write("\n")
