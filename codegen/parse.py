"""Spec + overrides -> IR. Overrides are applied here and nowhere else.

Rules:
- every command in the spec gets a metadata constant; it gets a method unless it is a
  container (it only holds subcommands), internal (a name part starting with ``_``, unless
  ``names.toml`` names its method) or listed in ``runtime_owned.toml``;
- module commands with a dotted prefix get their methods in namespaces (see ``namespaces``);
- an override or reply entry that names no command in the spec is an error;
- reply types, variants, models and parsers are resolved by ``reply_table`` (core commands
  without a reply type are listed in one warning; module commands may go without);
- iteration is sorted everywhere, so the IR is a pure function of the inputs.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence

from codegen.checks import check_lines
from codegen.config import Overrides
from codegen.deprecations import replacement
from codegen.diagnostics import Diagnostics, is_module_command, module_prefix, stale
from codegen.imports import imports_for
from codegen.ir import (
    Argument,
    BlockType,
    Command,
    GroupModule,
    KeySpec,
    Package,
    PlainRead,
    Policy,
    RuntimeOwned,
)
from codegen.methods import build_method, shadowed_names
from codegen.namespaces import build_namespaces, check_builtin_names, method_lines, split_name
from codegen.naming import (
    PythonIdentifier,
    class_name,
    constant_name,
    escape_spec_text,
    is_body_name,
    method_name,
    param_name,
    snake_name,
)
from codegen.plan import plan_arguments
from codegen.pyfmt import Bracket, Chain, layout
from codegen.replies import PROVISIONAL
from codegen.reply_table import ReplyTable
from codegen.shapes import ShapeContext
from codegen.spec import KNOWN_ARGUMENT_TYPES, ArgumentSpec, CommandSpec, KeySpecSpec, SpecTable

__all__ = ["build_package", "imports_for", "is_container", "is_internal"]

#: Spec flag -> CommandFlag member; other flags do not concern the runtime.
FLAGS = {
    "readonly": "READONLY",
    "write": "WRITE",
    "blocking": "BLOCKING",
    "pubsub": "PUBSUB",
    "noscript": "NOSCRIPT",
    "loading": "LOADING",
    "stale": "STALE",
    "fast": "FAST",
    "admin": "ADMIN",
    "denyoom": "DENYOOM",
    "no_multi": "NO_MULTI",
    "movablekeys": "MOVABLEKEYS",
    "no_mandatory_keys": "NO_MANDATORY_KEYS",
}
#: Key-spec flag as the spec spells it -> KeySpecFlag member, in the enum's order.
KEY_SPEC_FLAGS = {
    name: name.upper()
    for name in (
        "RO",
        "RW",
        "OW",
        "RM",
        "access",
        "update",
        "insert",
        "delete",
        "not_key",
        "incomplete",
        "variable_flags",
    )
}
#: Policy tip values (``request_policy:all_shards``) -> RequestPolicy / ResponsePolicy member.
REQUEST_POLICIES = {v: v.upper() for v in ("all_nodes", "all_shards", "multi_shard", "special")}
RESPONSE_POLICIES = {
    v: v.upper()
    for v in (
        "one_succeeded",
        "all_succeeded",
        "agg_logical_and",
        "agg_logical_or",
        "agg_min",
        "agg_max",
        "agg_sum",
        "special",
    )
}
#: Policy tip kind -> the enum its values become and the known values.
POLICY_TIPS = {
    "request_policy": ("RequestPolicy", REQUEST_POLICIES),
    "response_policy": ("ResponsePolicy", RESPONSE_POLICIES),
}
#: Tip -> CommandFlag member: what a client-side cache must know about a reply.
TIP_FLAGS = {"nondeterministic_output": "NONDETERMINISTIC_OUTPUT", "dont_cache": "DONT_CACHE"}
#: Tips that concern neither a router nor a cache and are deliberately not carried: any
#: order of HGETALL's or SMEMBERS's reply is a valid one.
IGNORED_TIPS = frozenset({"nondeterministic_output_order"})
#: Module name -> generated module name for its commands.
MODULE_GROUPS = {"ReJSON": "json", "bf": "bloom", "search": "search", "timeseries": "timeseries"}
#: Method names the runtime classes use themselves; a command may not take them.
RUNTIME_API = frozenset(
    {"pipeline", "pubsub", "execute_command", "aclose", "close", "transaction", "lock"}
)


def is_container(name: str, table: Collection[str]) -> bool:
    """Whether ``name`` only holds subcommands (``CLIENT``): such commands get no method."""
    prefix = name + " "
    return any(other.startswith(prefix) for other in table)


def is_internal(name: str) -> bool:
    """Whether a command is internal to a server or module (a name part starts with ``_``)."""
    return any(part.startswith("_") for part in re.split(r"[ .]", name))


def _plain_read(method: str, constant: str, params: tuple[str, ...], parser: str) -> PlainRead:
    names = Bracket("(", tuple(f'"{p}"' for p in params), ")", one_tuple=len(params) == 1)
    entry = Bracket(f'"{method}": (', (f"_m.{constant}", names, parser), ")")
    return PlainRead(method, tuple(layout(entry, 8, ",")))


def _plain_imports(reads: Sequence[PlainRead]) -> tuple[str, ...]:
    used = {"_m" for _ in reads[:1]} | {"_rp" for r in reads if "_rp." in "".join(r.lines)}
    modules = {"_m": "_meta", "_rp": "_reply_parsers"}
    return tuple(f"from . import {modules[alias]} as {alias}" for alias in sorted(used))


def _group_module(spec: CommandSpec) -> PythonIdentifier:
    if spec.module:
        return snake_name(MODULE_GROUPS.get(spec.module, spec.module))
    return snake_name(spec.group)


def _key_spec(name: str, ks: KeySpecSpec, diagnostics: Diagnostics) -> KeySpec:
    fields: list[str] = []
    begin, find = ks.begin_search, ks.find_keys
    if begin.type == "index":
        fields.append(f"begin_index={int(begin.spec.get('index', 0))}")
    elif begin.type == "keyword":
        fields.append(f"begin_keyword={escape_spec_text(str(begin.spec.get('keyword', '')))}")
        fields.append(f"begin_keyword_start={int(begin.spec.get('startfrom', 0))}")
    elif begin.type != "unknown":
        diagnostics.error(name, f"key spec has unknown begin_search type {begin.type!r}")
    if find.type == "range":
        fields.append(f"last_key={int(find.spec.get('lastkey', 0))}")
        step, limit = int(find.spec.get("keystep", 1)), int(find.spec.get("limit", 0))
    elif find.type == "keynum":
        fields += ["last_key=None", f"keynum_index={int(find.spec.get('keynumidx', 0))}"]
        fields.append(f"first_key={int(find.spec.get('firstkey', 1))}")
        step, limit = int(find.spec.get("keystep", 1)), 0
    else:
        if find.type != "unknown":
            diagnostics.error(name, f"key spec has unknown find_keys type {find.type!r}")
        fields.append("last_key=None")
        step, limit = 1, 0
    if step < 1 or limit < 0:
        diagnostics.error(name, f"key spec has keystep {step} and limit {limit}")
    if step != 1:
        fields.append(f"step={step}")
    if limit:
        fields.append(f"limit={limit}")
    members = []
    for flag in ks.flag_names():
        if flag in KEY_SPEC_FLAGS:
            members.append(KEY_SPEC_FLAGS[flag])
        else:
            diagnostics.error(name, f"key spec has unknown flag {flag!r}")
    members.sort(key=list(KEY_SPEC_FLAGS.values()).index)
    return KeySpec(tuple(fields), tuple(f"KeySpecFlag.{m}" for m in members))


def _policy(name: str, spec: CommandSpec, diagnostics: Diagnostics) -> Policy:
    found: dict[str, str] = {}
    for hint in spec.hints:
        kind, _, value = hint.partition(":")
        if kind in POLICY_TIPS:
            enum_name, members = POLICY_TIPS[kind]
            if value in members:
                found[kind] = f"{enum_name}.{members[value]}"
            else:
                diagnostics.error(name, f"unknown {kind} {value!r}")
        elif hint not in IGNORED_TIPS and hint not in TIP_FLAGS:
            diagnostics.warning(name, f"unknown command tip {hint!r}")
    return Policy(found.get("request_policy"), found.get("response_policy"))


def _meta_fields(
    name: str,
    spec: CommandSpec,
    key_specs: Sequence[KeySpec],
    policy: Policy,
    binary: bool,
    tips: Sequence[str],
) -> list[str]:
    order = [*FLAGS.values(), *TIP_FLAGS.values()]
    members = {FLAGS[f] for f in spec.command_flags if f in FLAGS}
    members |= {TIP_FLAGS[t] for t in (*spec.hints, *tips) if t in TIP_FLAGS}
    flags = sorted(members, key=order.index)
    lines = [
        f"    name={escape_spec_text(name)},",
        f"    token_count={len(name.split(' '))},",
        f"    arity={spec.arity},",
    ]
    operands = tuple(f"CommandFlag.{f}" for f in flags) or ("CommandFlag.NONE",)
    lines += layout(Chain("flags=", operands), 4, ",")
    lines.append(f"    group={escape_spec_text(spec.group)},")
    lines.append(f"    since={escape_spec_text(spec.since or '')},")
    if key_specs:
        items = tuple(Bracket("KeySpec(", k.arguments, ")") for k in key_specs)
        specs = Bracket("key_specs=(", items, ")", len(key_specs) == 1)
        lines += layout(specs, 4, ",")
    if policy.request:
        lines.append(f"    request_policy={policy.request},")
    if policy.response:
        lines.append(f"    response_policy={policy.response},")
    if spec.module:
        lines.append(f"    module={escape_spec_text(spec.module)},")
    if "readonly" in spec.command_flags:
        lines.append("    is_readonly=True,")
    if "blocking" in spec.command_flags:
        lines.append("    is_blocking=True,")
    if binary:
        lines.append("    binary_reply=True,")
    return lines


def _check_arguments(name: str, args: Sequence[ArgumentSpec], diagnostics: Diagnostics) -> None:
    for arg in args:
        if arg.type not in KNOWN_ARGUMENT_TYPES:
            diagnostics.warning(name, f"argument {arg.name!r} has unknown type {arg.type!r}")
        if arg.type in ("oneof", "block") and not arg.arguments:
            if arg.token is None:
                diagnostics.error(name, f"argument {arg.name!r} is an empty {arg.type}")
            else:
                diagnostics.info(name, f"empty {arg.type} {arg.name!r} is read as a pure token")
        if arg.type == "pure-token" and arg.token is None:
            diagnostics.error(name, f"argument {arg.name!r} is a pure-token without token")
        _check_arguments(name, arg.arguments, diagnostics)


def _check_overrides(
    table: SpecTable, overrides: Overrides, diagnostics: Diagnostics, unrenamed: frozenset[str]
) -> None:
    def unknown(kind: str, names: Sequence[str]) -> None:
        for name in sorted(names):
            if name not in table:
                stale(diagnostics, name, f"{kind} names a command that is not in the spec")

    unknown("names.toml", list(overrides.names.methods))
    unknown("runtime_owned.toml", list(overrides.runtime_owned.commands))
    unknown("replies.toml", list(overrides.replies.replies))
    unknown("replies.toml variants", list(overrides.replies.variants))
    unknown("replies.toml reshape", list(overrides.replies.reshape))
    unknown("tips.toml", list(overrides.tips.commands))
    unknown("arguments.toml checks", list(overrides.arguments.checks))
    for name, tips in sorted(overrides.tips.commands.items()):
        if name in table and set(tips) & set(table[name].hints):
            # A newer spec caught up (8.x marks HTTL): harmless, but the entry can go once
            # the project's own spec has the tip too.
            diagnostics.info(name, "tips.toml adds a tip the spec already has")
    argument_keys = _argument_paths(overrides)
    unknown("arguments.toml", sorted({k.split("/")[0] for k in argument_keys}))
    for path in sorted(argument_keys):
        command, _, rest = path.partition("/")
        if any(path == p or path.startswith(p + "/") for p in unrenamed):
            continue
        if command in table and not _has_argument(table[command].arguments, rest.split("/")):
            stale(diagnostics, command, f"arguments.toml: {path} names no argument of the command")
    for path in overrides.arguments.token_default:
        if path.count("/") != 1:
            diagnostics.error(
                path.split("/")[0], f"arguments.toml: token_default {path}: not top-level"
            )


def _avoid_body_names(args: tuple[ArgumentSpec, ...]) -> tuple[ArgumentSpec, ...]:
    """Name the arguments called after a name the bodies use (``float``) by their token.

    INCREX's ``BYFLOAT float`` becomes ``byfloat``; without a usable token ``param_name``
    adds a trailing underscore. Either way the body never tests or calls the user's value.
    """
    siblings: set[str] = {param_name(a.name) for a in args}
    renamed = []
    for arg in args:
        update: dict[str, object] = {}
        if arg.arguments:
            update["arguments"] = _avoid_body_names(arg.arguments)
        token = arg.token or ""
        if is_body_name(arg.name) and token and not is_body_name(token):
            candidate = param_name(token)
            if candidate not in siblings and candidate.isidentifier():
                update["name"] = token.lower()
                siblings.add(candidate)
        renamed.append(arg.model_copy(update=update) if update else arg)
    return tuple(renamed) if any(a is not b for a, b in zip(renamed, args, strict=True)) else args


def _with_grammar(
    table: SpecTable, overrides: Overrides, diagnostics: Diagnostics
) -> tuple[SpecTable, frozenset[str]]:
    """Give the commands of ``arguments.toml`` ``grammar`` the arguments their spec lacks.

    A command whose arity asks for arguments that neither the spec nor the grammar describes
    is an error: its method could never succeed. Also applies the ``rename`` hints, and
    returns the paths a failed rename would have made, whose other hints are not reported.
    """
    grammar = overrides.arguments.grammar
    patched = dict(table)
    unrenamed: set[str] = set()
    for path, new_name in sorted(overrides.arguments.rename.items()):
        command, _, old_name = path.partition("/")
        spec = patched.get(command)
        names = [a.name for a in spec.arguments] if spec is not None else []
        if spec is None or old_name not in names:
            stale(diagnostics, command, f"arguments.toml: rename {path} names no argument")
            # Hints for the new name would only repeat this error.
            unrenamed.add(f"{command}/{new_name}")
            continue
        others = {param_name(n) for n in names if n != old_name}
        if param_name(new_name) in others:
            diagnostics.error(
                command,
                f"arguments.toml: rename {path} = {new_name!r}: the command already has a"
                f" parameter {param_name(new_name)}; choose another name",
            )
            continue
        renamed = tuple(
            a.model_copy(update={"name": new_name}) if a.name == old_name else a
            for a in spec.arguments
        )
        patched[command] = spec.model_copy(update={"arguments": renamed})
    for name, entry in sorted(grammar.items()):
        if name not in table:
            stale(diagnostics, name, "arguments.toml grammar names a command not in the spec")
        elif table[name].arguments:
            stale(diagnostics, name, "arguments.toml grammar: the spec describes the arguments")
        else:
            patched[name] = table[name].model_copy(update={"arguments": entry.arguments})
    for name, spec in sorted(patched.items()):
        arguments = _avoid_body_names(spec.arguments)
        if arguments is not spec.arguments:
            patched[name] = spec.model_copy(update={"arguments": arguments})
    for name, spec in patched.items():
        words = len(name.split(" "))
        if abs(spec.arity) > words and not spec.arguments and not is_container(name, patched):
            diagnostics.error(
                name,
                f"arity {spec.arity} needs arguments the spec does not describe: give them in"
                " arguments.toml grammar",
            )
    return patched, frozenset(unrenamed)


def _undescribed(name: str, spec: CommandSpec) -> bool:
    """Whether a module command takes arguments its spec entry does not describe.

    Redis 8's docs give module commands they do not document arity -1 ("at least the name")
    and no arguments: a method for one would send a bare name (FT.ADD, whose key spec points
    at an argument). A documented entry (a summary, no key) really takes nothing.
    """
    words = len(name.split(" "))
    return (
        bool(spec.module)
        and spec.arity < 0
        and not spec.arguments
        and (not spec.summary or bool(spec.key_specs) or abs(spec.arity) > words)
    )


def _argument_paths(overrides: Overrides) -> list[str]:
    hints = overrides.arguments
    return [
        *hints.mappings,
        *hints.flatten,
        *hints.token_default,
        *hints.numbers,
        *hints.json_values,
        *hints.variadic,
    ]


def _has_argument(args: Sequence[ArgumentSpec], path: Sequence[str]) -> bool:
    for arg in args:
        if arg.name == path[0]:
            return len(path) == 1 or _has_argument(arg.arguments, path[1:])
    return False


def build_package(
    table: SpecTable, overrides: Overrides, diagnostics: Diagnostics, header: Sequence[str]
) -> Package:
    """Build the IR of the whole generated package.

    Args:
        table: The merged spec.
        overrides: The validated override files.
        diagnostics: Where every problem is recorded.
        header: Comment lines that open every generated file.

    Returns:
        The package IR (built even when errors were recorded, for reporting).
    """
    diagnostics.module_prefixes = frozenset(
        module_prefix(n) for n in table if is_module_command(n) and table[n].module
    )
    table, unrenamed = _with_grammar(table, overrides, diagnostics)
    _check_overrides(table, overrides, diagnostics, unrenamed)
    replies = ReplyTable(overrides, diagnostics)
    owned = overrides.runtime_owned.commands
    block_types: dict[str, BlockType] = {}
    commands: list[Command] = []
    plain_reads: list[PlainRead] = []
    method_owner: dict[str, str] = {}
    constants: dict[str, str] = {}
    modules: dict[str, set[str]] = {}

    def method_of(command: str) -> str | None:
        spec = table.get(command)
        if spec is None or command in owned or is_container(command, table):
            return None
        namespace, local = split_name(command, spec)
        method = overrides.names.methods.get(command) or method_name(local)
        return f"{namespace}.{method}" if namespace else method

    for name, spec in table.items():
        if spec.replaced_by:
            text = replacement(spec.replaced_by, table, method_of)
            spec = spec.model_copy(update={"replaced_by": text})
        _check_arguments(name, spec.arguments, diagnostics)
        constant = constant_name(name)
        if constant in constants:
            diagnostics.error(name, f"constant {constant} already used by {constants[constant]}")
        constants[constant] = name
        key_specs = tuple(_key_spec(name, k, diagnostics) for k in spec.key_specs)
        policy = _policy(name, spec, diagnostics)
        namespace, local = split_name(name, spec)
        internal = is_internal(name) and name not in overrides.names.methods
        has_method = not (name in owned or is_container(name, table) or internal)
        if has_method and _undescribed(name, spec):
            has_method = False
            diagnostics.warning(
                name,
                f"arity {spec.arity} and no arguments: the spec does not describe what it takes,"
                " so it gets no method (execute_command still sends it); give its arguments in"
                " arguments.toml grammar",
            )
        reply = replies.of_command(name, spec, has_method)
        method = None
        arguments: tuple[Argument, ...] = ()
        hints = overrides.arguments
        ctx = ShapeContext(
            name,
            diagnostics,
            _mappings(name, overrides),
            block_types,
            flatten=_paths_of(name, hints.flatten),
            token_default=_paths_of(name, hints.token_default),
            numbers={
                path: hints.numbers[f"{name}/{path}"]
                for path in _paths_of(name, list(hints.numbers))
            },
            json=_paths_of(name, hints.json_values),
            variadic=_paths_of(name, hints.variadic),
        )
        if has_method:
            mname = PythonIdentifier(overrides.names.methods.get(name) or method_name(local))
            if mname in RUNTIME_API and namespace is None:
                diagnostics.error(name, f"method {mname} clashes with the runtime; rename it")
            owner_key = f"{namespace}.{mname}" if namespace else mname
            if owner_key in method_owner:
                diagnostics.error(
                    name, f"method {owner_key} already made for {method_owner[owner_key]}"
                )
            method_owner[owner_key] = name
            plan = plan_arguments(spec, ctx)
            missing = sorted(set(reply.call_args) - {p.name for p in plan.params})
            if missing:
                stale(diagnostics, name, f"the reply parser needs parameters {missing}")
                reply = replies.reply(name, PROVISIONAL, reshape=False)
            variants = [] if missing else replies.variants(name, plan.params)
            meta = f"_m.{constant}"
            entries = hints.checks.get(name, {})
            checks = check_lines(name, entries, plan.params, plan.steps, block_types, diagnostics)
            method = build_method(mname, spec, ctx, plan, reply, variants, meta, checks)
            for hidden in shadowed_names(method, [p.name for p in plan.params]):
                diagnostics.error(
                    name,
                    f"parameter {hidden} hides the builtin {hidden} its method's body uses;"
                    " give the argument another name in arguments.toml rename",
                )
            arguments = tuple(plan.params)
            if method.plain is not None and namespace is None and "readonly" in spec.command_flags:
                plain_reads.append(_plain_read(mname, constant, method.plain, reply.parser))
        commands.append(
            Command(
                name=name,
                constant=constant,
                group_module=_group_module(spec),
                meta_fields=tuple(
                    _meta_fields(
                        name,
                        spec,
                        key_specs,
                        policy,
                        reply.binary,
                        overrides.tips.commands.get(name, ()),
                    )
                ),
                key_specs=key_specs,
                policy=policy,
                reply=reply,
                arguments=arguments,
                method=method,
                namespace=namespace,
            )
        )
        if name in hints.checks and method is None:
            stale(diagnostics, name, "arguments.toml checks: the command has no method")
        if namespace is not None and spec.module:
            modules.setdefault(namespace, set()).add(spec.module)
    replies.finish()
    local_types = frozenset(block_types)
    local_models = frozenset(m.name for m in replies.models)
    groups = _groups(commands, local_types, local_models)
    for group in groups:
        check_builtin_names("", group.commands, diagnostics)
    flat = {c.method.name for g in groups for c in g.commands if c.method}
    namespaces = build_namespaces(commands, flat, modules, local_types, local_models, diagnostics)
    return Package(
        header=tuple(header),
        groups=groups,
        namespaces=namespaces,
        plain_reads=tuple(sorted(plain_reads, key=lambda read: read.method)),
        plain_imports=_plain_imports(plain_reads),
        namespace_exports=tuple(
            sorted(["BoundExecute", "NamespaceBase", *(n.class_name for n in namespaces)])
        ),
        exports=tuple(
            sorted(
                ["Commands", "CommandsBase", "NamespaceBase", "StrT"]
                + [n.class_name for n in namespaces]
            )
        ),
        class_modules=tuple(
            sorted(
                [(g.module, g.class_name) for g in groups]
                + [(n.name, n.class_name) for n in namespaces]
            )
        ),
        commands=tuple(commands),
        block_types=tuple(block_types[k] for k in sorted(block_types)),
        runtime_owned=tuple(
            RuntimeOwned(escape_spec_text(n), escape_spec_text(owned[n])) for n in sorted(owned)
        ),
        type_imports=imports_for(
            [line for b in block_types.values() for line in (*b.fields, *b.alias, "dataclass")],
        ),
        models=replies.models,
        model_names=tuple(sorted(m.name for m in replies.models)),
        parsers=replies.parsers,
        parser_imports=replies.parser_imports(),
        model_imports=replies.model_imports(),
        meta_imports=imports_for(
            ["CommandMeta, Final, Mapping, MappingProxyType"]
            + [line for c in commands for line in c.meta_fields],
            relative=False,
        ),
    )


def _paths_of(name: str, keys: Sequence[str]) -> frozenset[str]:
    """The argument paths of ``name`` among ``COMMAND/path`` hint keys."""
    prefix = name + "/"
    return frozenset(k[len(prefix) :] for k in keys if k.startswith(prefix))


def _mappings(name: str, overrides: Overrides) -> dict[str, str]:
    prefix = name + "/"
    return {
        key[len(prefix) :]: value
        for key, value in overrides.arguments.mappings.items()
        if key.startswith(prefix)
    }


def _groups(
    commands: Sequence[Command], local_types: frozenset[str], local_models: frozenset[str]
) -> tuple[GroupModule, ...]:
    by_module: dict[str, list[Command]] = {}
    for command in commands:
        if command.method is not None and command.namespace is None:
            by_module.setdefault(command.group_module, []).append(command)
    groups = []
    for module in sorted(by_module):
        members = tuple(sorted(by_module[module], key=lambda c: str(c.method and c.method.name)))
        groups.append(
            GroupModule(
                module=PythonIdentifier(module),
                class_name=class_name(module, "commands"),
                group=module,
                imports=imports_for(
                    [
                        line
                        for c in members
                        if c.method
                        for line in method_lines(c.method, "CommandsBase")
                    ],
                    local_types=local_types,
                    local_models=local_models,
                ),
                commands=members,
            )
        )
    return tuple(groups)
