using System.Text.Json;
using NetTopologySuite.Geometries;

namespace VirtualIoT;

/// <summary>The shape of a location (<c>typ</c> of <c>loc</c>, <c>gmty</c> of a geo-query; TS-0004 m2m:geometryType).</summary>
[GenerateSerializer]
public enum GeometryType
{
    /// <summary>One position.</summary>
    Point = 1,
    /// <summary>Two or more positions.</summary>
    LineString = 2,
    /// <summary>One closed ring of four or more positions.</summary>
    Polygon = 3,
    /// <summary>A list of points.</summary>
    MultiPoint = 4,
    /// <summary>A list of line strings.</summary>
    MultiLineString = 5,
    /// <summary>A list of polygons (rings).</summary>
    MultiPolygon = 6,
}

/// <summary>How a geo-query's geometry relates to a resource's location (<c>gsf</c>; TS-0004 m2m:geoSpatialFunctionType).</summary>
[GenerateSerializer]
public enum GeoSpatialFunction
{
    /// <summary>The query's geometry lies within the resource's location.</summary>
    Within = 1,
    /// <summary>The query's geometry contains the resource's location.</summary>
    Contains = 2,
    /// <summary>They share at least one point.</summary>
    Intersects = 3,
}

/// <summary>
/// Locations (R4 <c>loc</c>, <c>m2m:geoCoordinates</c>: <c>typ</c> and <c>crd</c>) and geo-queries. <c>crd</c> is
/// GeoJSON coordinates as JSON text, as ACME takes them: a point <c>[x, y]</c> (or <c>[x, y, z]</c>), a line string
/// or polygon a list of points (a polygon's ring closed: the first point again last), the multi-forms lists of those.
/// Numbers must be written as decimals (<c>1.0</c>, not <c>1</c>), as ACME requires. The predicates are
/// NetTopologySuite's; the query's geometry is the subject, as in ACME (<c>gsf</c> 1: the geometry lies within the
/// resource's location).
/// </summary>
public static class GeoLocation
{
    /// <summary><c>loc</c>.</summary>
    public const string Attribute = "loc";

    /// <summary><c>typ</c> in <c>loc</c>.</summary>
    public const string TypeMember = "typ";

    /// <summary><c>crd</c> in <c>loc</c>.</summary>
    public const string CoordinatesMember = "crd";

    private static readonly GeometryFactory s_factory = new();

    /// <summary>The geometry of <paramref name="coordinates"/> read as <paramref name="type"/>; null with <paramref name="error"/> when it is not one.</summary>
    public static Geometry? Parse(long type, string coordinates, out string error)
    {
        error = "";
        if (type is < 1 or > 6)
        {
            error = $"geometry type {type} is not one of 1 (point) to 6 (multi-polygon)";
            return null;
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(coordinates);
        }
        catch (JsonException)
        {
            error = $"coordinates '{coordinates}' are not JSON";
            return null;
        }

        using (document)
        {
            var root = document.RootElement;
            var kind = (GeometryType)type;
            Geometry? geometry = kind switch
            {
                GeometryType.Point => Position(root) is { } p ? s_factory.CreatePoint(p) : null,
                GeometryType.LineString => Positions(root, 2, closed: false) is { } line ? s_factory.CreateLineString(line) : null,
                GeometryType.Polygon => Positions(root, 4, closed: true) is { } ring ? s_factory.CreatePolygon(ring) : null,
                GeometryType.MultiPoint => Each(root, Position) is { } points ? s_factory.CreateMultiPointFromCoords(points) : null,
                GeometryType.MultiLineString => Each(root, e => Positions(e, 2, closed: false)) is { } lines
                    ? s_factory.CreateMultiLineString([.. lines.Select(l => s_factory.CreateLineString(l))]) : null,
                _ => Each(root, e => Positions(e, 4, closed: true)) is { } rings
                    ? s_factory.CreateMultiPolygon([.. rings.Select(r => s_factory.CreatePolygon(r))]) : null,
            };
            if (geometry is null)
            {
                error = $"coordinates '{coordinates}' are not a {Describe(kind)}";
            }

            return geometry;
        }
    }

    /// <summary>The problem with a <c>loc</c> value, or null when it is a valid location.</summary>
    public static string? Problem(object? value)
    {
        if (value is not Dictionary<string, object?> location)
        {
            return "must be an object {typ, crd}";
        }

        foreach (var member in location.Keys)
        {
            if (member is not (TypeMember or CoordinatesMember))
            {
                return $"has '{member}', which is not a member of a location (typ, crd)";
            }
        }

        if (location.GetValueOrDefault(TypeMember) is not long type)
        {
            return "needs typ (geometry type, 1 to 6)";
        }

        if (location.GetValueOrDefault(CoordinatesMember) is not string coordinates)
        {
            return "needs crd (the coordinates as GeoJSON text)";
        }

        return Parse(type, coordinates, out var error) is null ? error : null;
    }

    /// <summary>The geometry of a stored <c>loc</c> value, or null when the resource has none.</summary>
    public static Geometry? Of(object? value) =>
        value is Dictionary<string, object?> location && location.GetValueOrDefault(TypeMember) is long type
            && location.GetValueOrDefault(CoordinatesMember) is string coordinates
            ? Parse(type, coordinates, out _)
            : null;

    /// <summary>Whether <paramref name="query"/> relates to <paramref name="location"/> as <paramref name="function"/> says.</summary>
    public static bool Relates(Geometry query, GeoSpatialFunction function, Geometry location)
    {
        try
        {
            return function switch
            {
                GeoSpatialFunction.Within => query.Within(location),
                GeoSpatialFunction.Contains => query.Contains(location),
                _ => query.Intersects(location),
            };
        }
        catch (TopologyException)
        {
            // A degenerate shape (a ring whose points lie on one line) relates to nothing.
            return false;
        }
    }

    private static string Describe(GeometryType type) => type switch
    {
        GeometryType.Point => "point ([x, y] or [x, y, z], decimals)",
        GeometryType.LineString => "line string (two or more points)",
        GeometryType.Polygon => "polygon (four or more points, the first repeated last)",
        GeometryType.MultiPoint => "multi-point (a list of points)",
        GeometryType.MultiLineString => "multi-line string (a list of line strings)",
        _ => "multi-polygon (a list of polygons)",
    };

    private static Coordinate? Position(JsonElement element)
    {
        if (element.ValueKind != JsonValueKind.Array || element.GetArrayLength() is < 2 or > 3)
        {
            return null;
        }

        Span<double> values = stackalloc double[3];
        var count = 0;
        foreach (var item in element.EnumerateArray())
        {
            // Decimals only, as ACME validates: an integer is not a coordinate.
            if (item.ValueKind != JsonValueKind.Number || item.GetRawText().AsSpan().IndexOfAny(".eE") < 0 || !item.TryGetDouble(out var v))
            {
                return null;
            }

            values[count++] = v;
        }

        return count == 3 ? new CoordinateZ(values[0], values[1], values[2]) : new Coordinate(values[0], values[1]);
    }

    private static Coordinate[]? Positions(JsonElement element, int minimum, bool closed)
    {
        if (Each(element, Position) is not { } positions || positions.Length < minimum)
        {
            return null;
        }

        return closed && !positions[0].Equals2D(positions[^1]) ? null : positions;
    }

    private static T[]? Each<T>(JsonElement element, Func<JsonElement, T?> read)
        where T : class
    {
        if (element.ValueKind != JsonValueKind.Array || element.GetArrayLength() == 0)
        {
            return null;
        }

        var items = new T[element.GetArrayLength()];
        var i = 0;
        foreach (var item in element.EnumerateArray())
        {
            if (read(item) is not { } value)
            {
                return null;
            }

            items[i++] = value;
        }

        return items;
    }
}
