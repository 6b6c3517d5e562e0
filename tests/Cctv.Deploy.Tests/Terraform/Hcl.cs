using System.Text;

namespace Cctv.Deploy.Tests.Terraform;

/// <summary>An attribute <c>name = expression</c>; the expression is kept as source text, comments removed.</summary>
internal sealed record HclAttribute(string Name, string Expression, string File, int Line);

/// <summary>A block <c>type "label" ... { body }</c>; a file is a block with an empty type.</summary>
internal sealed class HclBlock
{
    public HclBlock(string type, IReadOnlyList<string> labels, string file, int line)
    {
        Type = type;
        Labels = labels;
        File = file;
        Line = line;
    }

    public string Type { get; }

    public IReadOnlyList<string> Labels { get; }

    public string File { get; }

    public int Line { get; }

    public List<HclAttribute> Attributes { get; } = [];

    public List<HclBlock> Blocks { get; } = [];

    /// <summary><c>resource.google_x.name</c>-style name for messages.</summary>
    public string Address => string.Join('.', new[] { Type }.Concat(Labels));

    public string Where => $"{Address} ({System.IO.Path.GetFileName(File)}:{Line})";

    public string? Attribute(string name) => Attributes.FirstOrDefault(a => a.Name == name)?.Expression;

    public IEnumerable<HclBlock> Children(string type) => Blocks.Where(b => b.Type == type);

    /// <summary>Nested blocks along a path of block types, e.g. <c>template</c>, <c>containers</c>, <c>env</c>.</summary>
    public IEnumerable<HclBlock> Path(params string[] types) =>
        types.Aggregate((IEnumerable<HclBlock>)[this], (blocks, type) => blocks.SelectMany(b => b.Children(type)));

    /// <summary>Every attribute of this block and of the blocks inside it.</summary>
    public IEnumerable<HclAttribute> AllAttributes() => Attributes.Concat(Blocks.SelectMany(b => b.AllAttributes()));
}

/// <summary>
/// Reads the HCL of our terraform files: blocks with labels, attributes, nested and one-line
/// blocks, strings with interpolations, heredocs and the three kinds of comment. Expressions are
/// not evaluated; <see cref="HclExpression"/> reads the few shapes the tests need.
/// </summary>
internal sealed class HclReader
{
    private readonly string _text;
    private readonly string _file;
    private int _position;

    private HclReader(string text, string file)
    {
        _text = text.Replace("\r\n", "\n", StringComparison.Ordinal);
        _file = file;
    }

    public static HclBlock Parse(string text, string file)
    {
        var reader = new HclReader(text, file);
        var root = new HclBlock("", [], file, 1);
        reader.ReadBody(root, nested: false);
        return root;
    }

    private int Line => 1 + _text.AsSpan(0, Math.Min(_position, _text.Length)).Count('\n');

    private char Current => _position < _text.Length ? _text[_position] : '\0';

    private char Next => _position + 1 < _text.Length ? _text[_position + 1] : '\0';

    private bool AtEnd => _position >= _text.Length;

    private void ReadBody(HclBlock block, bool nested)
    {
        while (true)
        {
            SkipTrivia(newlines: true);
            if (AtEnd)
            {
                if (nested)
                {
                    throw Error($"unclosed block {block.Address} opened at line {block.Line}");
                }

                return;
            }

            if (Current == '}')
            {
                if (!nested)
                {
                    throw Error("unexpected }");
                }

                _position++;
                return;
            }

            var line = Line;
            var name = ReadIdentifier();
            SkipTrivia(newlines: false);
            if (Current == '=' && Next != '=')
            {
                _position++;
                block.Attributes.Add(new HclAttribute(name, ReadExpression(), _file, line));
                continue;
            }

            var labels = new List<string>();
            while (Current != '{')
            {
                if (AtEnd || Current == '\n')
                {
                    throw Error($"expected = or {{ after {name}");
                }

                labels.Add(Current == '"' ? ReadStringLiteral() : ReadIdentifier());
                SkipTrivia(newlines: false);
            }

            _position++;
            var child = new HclBlock(name, labels, _file, line);
            ReadBody(child, nested: true);
            block.Blocks.Add(child);
        }
    }

    /// <summary>
    /// Reads an expression up to the end of its line at bracket depth 0, or up to the <c>}</c>
    /// closing the enclosing one-line block.
    /// </summary>
    private string ReadExpression()
    {
        var builder = new StringBuilder();
        var depth = 0;
        while (!AtEnd)
        {
            var c = Current;
            if (depth == 0 && c == '\n')
            {
                break;
            }

            if (c == '#' || (c == '/' && Next == '/'))
            {
                SkipLineComment();
                if (depth > 0)
                {
                    builder.Append(' ');
                }

                continue;
            }

            if (c == '/' && Next == '*')
            {
                SkipBlockComment();
                builder.Append(' ');
                continue;
            }

            if (c == '"')
            {
                builder.Append(ReadRawString());
                continue;
            }

            if (c == '<' && Next == '<' && IsHeredocStart())
            {
                builder.Append(ReadHeredoc());
                continue;
            }

            if (c is '(' or '[' or '{')
            {
                depth++;
            }
            else if (c is ')' or ']' or '}')
            {
                if (depth == 0)
                {
                    break; // the end of a one-line block
                }

                depth--;
            }

            builder.Append(c);
            _position++;
        }

        if (depth != 0)
        {
            throw Error("unbalanced brackets in expression");
        }

        return builder.ToString().Trim();
    }

    /// <summary>A quoted template, returned as written (quotes, escapes and interpolations kept).</summary>
    private string ReadRawString()
    {
        var start = _position;
        _position++; // opening quote
        while (!AtEnd && Current != '"')
        {
            if (Current == '\\')
            {
                _position += 2;
            }
            else if ((Current == '$' || Current == '%') && Next == '{')
            {
                _position += 2;
                ReadTemplateDirective();
            }
            else if (Current == '\n')
            {
                throw Error("newline in string");
            }
            else
            {
                _position++;
            }
        }

        if (AtEnd)
        {
            throw Error("unterminated string");
        }

        _position++; // closing quote
        return _text[start.._position];
    }

    /// <summary>Skips the inside of <c>${ ... }</c>, which may hold strings and braces of its own.</summary>
    private void ReadTemplateDirective()
    {
        var depth = 1;
        while (!AtEnd && depth > 0)
        {
            switch (Current)
            {
                case '"':
                    ReadRawString();
                    continue;
                case '{':
                    depth++;
                    break;
                case '}':
                    depth--;
                    break;
            }

            _position++;
        }

        if (depth > 0)
        {
            throw Error("unterminated interpolation");
        }
    }

    private string ReadStringLiteral()
    {
        var raw = ReadRawString();
        return HclExpression.TryString(raw, out var value) ? value : throw Error($"label {raw} is not a plain string");
    }

    private bool IsHeredocStart()
    {
        var i = _position + 2;
        if (i < _text.Length && _text[i] == '-')
        {
            i++;
        }

        return i < _text.Length && char.IsLetter(_text[i]);
    }

    private string ReadHeredoc()
    {
        var start = _position;
        _position += 2;
        if (Current == '-')
        {
            _position++;
        }

        var marker = ReadIdentifier();
        var endOfLine = _text.IndexOf('\n', _position);
        if (endOfLine < 0)
        {
            throw Error("unterminated heredoc");
        }

        _position = endOfLine + 1;
        while (!AtEnd)
        {
            var next = _text.IndexOf('\n', _position);
            var lineEnd = next < 0 ? _text.Length : next;
            var content = _text[_position..lineEnd].Trim();
            _position = lineEnd;
            if (content == marker)
            {
                return _text[start.._position];
            }

            if (next < 0)
            {
                break;
            }

            _position++;
        }

        throw Error($"heredoc {marker} is not closed");
    }

    private string ReadIdentifier()
    {
        var start = _position;
        while (!AtEnd && (char.IsLetterOrDigit(Current) || Current is '_' or '-'))
        {
            _position++;
        }

        if (start == _position)
        {
            throw Error($"expected a name, found '{Current}'");
        }

        return _text[start.._position];
    }

    private void SkipTrivia(bool newlines)
    {
        while (!AtEnd)
        {
            if (Current == '\n' ? newlines : char.IsWhiteSpace(Current))
            {
                _position++;
            }
            else if (Current == '#' || (Current == '/' && Next == '/'))
            {
                SkipLineComment();
            }
            else if (Current == '/' && Next == '*')
            {
                SkipBlockComment();
            }
            else
            {
                return;
            }
        }
    }

    private void SkipLineComment()
    {
        var end = _text.IndexOf('\n', _position);
        _position = end < 0 ? _text.Length : end;
    }

    private void SkipBlockComment()
    {
        var end = _text.IndexOf("*/", _position + 2, StringComparison.Ordinal);
        if (end < 0)
        {
            throw Error("unterminated /* comment");
        }

        _position = end + 2;
    }

    private FormatException Error(string message) => new($"{_file}:{Line}: {message}");
}

/// <summary>Reads the few expression shapes the tests need from an attribute's source text.</summary>
internal static class HclExpression
{
    /// <summary>A plain string literal (no interpolation), unescaped.</summary>
    public static bool TryString(string expression, out string value)
    {
        value = "";
        var text = expression.Trim();
        if (text.Length < 2 || text[0] != '"' || text[^1] != '"' || text.Contains("${", StringComparison.Ordinal))
        {
            return false;
        }

        var builder = new StringBuilder();
        for (var i = 1; i < text.Length - 1; i++)
        {
            if (text[i] == '"')
            {
                return false; // two strings, e.g. "a" == "b"
            }

            if (text[i] == '\\' && i + 1 < text.Length - 1)
            {
                i++;
                builder.Append(text[i] switch { 'n' => '\n', 't' => '\t', var other => other });
            }
            else
            {
                builder.Append(text[i]);
            }
        }

        value = builder.ToString();
        return true;
    }

    /// <summary>The entries of an object constructor <c>{ key = value, ... }</c>, values as source text.</summary>
    public static IReadOnlyDictionary<string, string> ObjectEntries(string expression)
    {
        var text = expression.Trim();
        if (text.Length < 2 || text[0] != '{' || text[^1] != '}')
        {
            throw new FormatException($"not an object constructor: {Shorten(text)}");
        }

        // An object's body reads like a block body whose attributes may also end at commas.
        var entries = new Dictionary<string, string>();
        var body = text[1..^1];
        var position = 0;
        while (true)
        {
            while (position < body.Length && (char.IsWhiteSpace(body[position]) || body[position] == ','))
            {
                position++;
            }

            if (position >= body.Length)
            {
                return entries;
            }

            var keyEnd = body.IndexOfAny(['=', ':'], position);
            if (keyEnd < 0)
            {
                throw new FormatException($"object entry without = in {Shorten(text)}");
            }

            var key = body[position..keyEnd].Trim();
            if (!TryString(key, out var unquoted))
            {
                unquoted = key;
            }

            var value = ValueLength(body, keyEnd + 1);
            entries[unquoted] = body.Substring(keyEnd + 1, value).Trim();
            position = keyEnd + 1 + value;
        }
    }

    /// <summary>Length of a value starting at <paramref name="start"/>, up to a newline or comma at depth 0.</summary>
    private static int ValueLength(string text, int start)
    {
        var depth = 0;
        var inString = false;
        var interpolation = 0;
        var i = start;
        for (; i < text.Length; i++)
        {
            var c = text[i];
            if (inString)
            {
                if (c == '\\')
                {
                    i++;
                }
                else if (c == '$' && i + 1 < text.Length && text[i + 1] == '{')
                {
                    interpolation++;
                    inString = false;
                    i++;
                }
                else if (c == '"')
                {
                    inString = false;
                }

                continue;
            }

            switch (c)
            {
                case '"':
                    inString = true;
                    break;
                case '(' or '[' or '{':
                    depth++;
                    break;
                case ')' or ']':
                    depth--;
                    break;
                case '}' when interpolation > 0 && depth == 0:
                    interpolation--;
                    inString = true;
                    break;
                case '}':
                    depth--;
                    break;
                case '\n' or ',' when depth == 0 && interpolation == 0:
                    return i - start;
            }
        }

        return i - start;
    }

    private static string Shorten(string text) => text.Length <= 80 ? text : text[..80] + "...";
}
