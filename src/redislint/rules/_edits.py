"""Small syntax edits shared by rule fixes (no rule logic here)."""

from __future__ import annotations

import libcst as cst


def _without_comment(comma: cst.Comma) -> cst.Comma:
    """A copy of a separating comma for a new argument, minus any trailing comment (the
    comment belongs to the line it was written on)."""
    after = comma.whitespace_after
    if isinstance(after, cst.ParenthesizedWhitespace) and after.first_line.comment is not None:
        return comma.with_changes(
            whitespace_after=after.with_changes(first_line=cst.TrailingWhitespace())
        )
    return comma


def _comment_line(comma: cst.Comma | cst.MaybeSentinel) -> cst.TrailingWhitespace | None:
    """The end of the line after a comma, when it carries a comment."""
    if isinstance(comma, cst.Comma):
        after = comma.whitespace_after
        if isinstance(after, cst.ParenthesizedWhitespace) and after.first_line.comment is not None:
            return after.first_line
    return None


def with_keyword(node: cst.Call, name: str, value: cst.BaseExpression) -> cst.Call:
    """`f(a, b)` -> `f(a, b, name=value)`, keeping the call's layout.

    An existing `name=` keyword gets the new value; otherwise the keyword is appended
    after the last argument, taking over that argument's trailing comma and line break
    so multi-line calls stay well formed.
    """
    args = list(node.args)
    for index, argument in enumerate(args):
        if argument.keyword is not None and argument.keyword.value == name:
            args[index] = argument.with_changes(value=value)
            return node.with_changes(args=args)
    added = cst.Arg(
        value=value,
        keyword=cst.Name(name),
        equal=cst.AssignEqual(
            whitespace_before=cst.SimpleWhitespace(""),
            whitespace_after=cst.SimpleWhitespace(""),
        ),
    )
    if not args:
        return node.with_changes(args=[added])
    last = args[-1]
    separator: cst.Comma | cst.MaybeSentinel = cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))
    comma = last.comma
    if len(args) >= 2 and isinstance(args[-2].comma, cst.Comma):
        separator = _without_comment(args[-2].comma)
        kept = _comment_line(comma)
        if kept is not None and isinstance(separator.whitespace_after, cst.ParenthesizedWhitespace):
            # `"w",  # note` stays on its line: the comment moves with the separator
            separator = separator.with_changes(
                whitespace_after=separator.whitespace_after.with_changes(first_line=kept)
            )
            assert isinstance(comma, cst.Comma)
            comma = _without_comment(comma)
    added = added.with_changes(comma=comma, whitespace_after_arg=last.whitespace_after_arg)
    args[-1] = last.with_changes(comma=separator, whitespace_after_arg=cst.SimpleWhitespace(""))
    args.append(added)
    return node.with_changes(args=args)
