using VirtualIoT.LoadGen.Devices;

namespace VirtualIoT.Tests.LoadGen;

public sealed class VerificationTests
{
    [Theory]
    // acked, lastAcked, unknown, found, cni, mni, latest, lost, extra, wrongLatest
    [InlineData(5, 5, 0, true, 5, -1, 5, 0, 0, false)]
    [InlineData(5, 5, 0, true, 3, -1, 5, 2, 0, false)]
    [InlineData(5, 5, 0, true, 6, -1, 5, 0, 1, false)]
    [InlineData(5, 5, 1, true, 6, -1, 6, 0, 0, false)]
    [InlineData(5, 5, 1, true, 5, -1, 5, 0, 0, false)]
    [InlineData(5, 5, 0, true, 5, -1, 4, 0, 0, true)]
    [InlineData(5, 5, 0, true, 5, -1, 6, 0, 0, true)]
    [InlineData(5, 5, 0, true, 5, -1, -1, 0, 0, true)]
    [InlineData(5, 5, 0, false, 0, -1, -1, 5, 0, true)]
    [InlineData(0, 0, 0, true, 0, -1, -1, 0, 0, false)]
    [InlineData(0, 0, 0, false, 0, -1, -1, 0, 0, false)]
    [InlineData(50, 50, 0, true, 10, 10, 50, 0, 0, false)]
    [InlineData(50, 50, 0, true, 9, 10, 50, 1, 0, false)]
    public void Readback_is_checked_against_what_was_acknowledged(int acked, int lastAcked, int unknown, bool found, long cni, long mni,
        int latest, long lost, long extra, bool wrongLatest)
    {
        var readback = new Readback(found, cni, mni < 0 ? null : mni, latest < 0 ? null : latest);

        var verdict = Verification.Check(acked, lastAcked, unknown, readback);

        Assert.Equal(new DeviceVerdict(lost, extra, wrongLatest), verdict);
    }

    [Fact]
    public void Container_and_latest_bodies_are_read()
    {
        var (cni, mni) = Verification.ParseContainer("""{"m2m:cnt":{"ty":3,"rn":"data","cni":7,"mni":100,"cbs":30}}""");
        var latest = Verification.ParseLatestSequence("""{"m2m:cin":{"ty":4,"con":"12:987654321","cs":12}}""");

        Assert.Equal((7, 100), (cni, mni));
        Assert.Equal(12, latest);
        Assert.Null(Verification.ParseContainer("""{"m2m:cnt":{"cni":0}}""").Mni);
        Assert.Null(Verification.ParseLatestSequence("""{"m2m:cin":{"con":"not-ours"}}"""));
    }

    [Fact]
    public void Content_value_round_trips_sequence_and_timestamp()
    {
        var con = ContentValue.Format(42, 1234567890123);

        Assert.Equal(42, ContentValue.Sequence(con));
        Assert.True(ContentValue.TryParse(System.Text.Encoding.UTF8.GetBytes(con), out var sequence, out var timestamp));
        Assert.Equal((42, 1234567890123L), (sequence, timestamp));
        Assert.False(ContentValue.TryParse("42"u8, out _, out _));
        Assert.False(ContentValue.TryParse("4x:1"u8, out _, out _));
    }

    [Fact]
    public void Device_table_keeps_count_and_highest_sequence_of_acknowledged_instances()
    {
        var table = new DeviceTable(3, trackNotifications: false);

        table.RecordAcked(1, 2);
        table.RecordAcked(1, 1);
        table.RecordAcked(1, 3);
        table.RecordUnknown(1);

        Assert.Equal((3, 3, 1), (table.Acked(1), table.LastAcked(1), table.Unknown(1)));
        Assert.Equal((0, 0, 0), (table.Acked(0), table.LastAcked(0), table.Unknown(0)));
        Assert.Equal(3, table.SumAcked());
    }

    [Fact]
    public void Device_table_flags_are_counted()
    {
        var table = new DeviceTable(4, trackNotifications: false);

        table.Set(0, DeviceFlags.Registered);
        table.Set(0, DeviceFlags.HasContainer);
        table.Set(2, DeviceFlags.Registered);
        table.Clear(2, DeviceFlags.Registered);
        table.Set(3, DeviceFlags.Registered);

        Assert.Equal(2, table.CountWith(DeviceFlags.Registered));
        Assert.Equal(1, table.CountWith(DeviceFlags.Registered | DeviceFlags.HasContainer));
        Assert.True(table.Has(0, DeviceFlags.HasContainer));
        Assert.False(table.Has(2, DeviceFlags.Registered));
    }

    [Fact]
    public void Notifications_count_once_per_instance_and_missing_ones_are_those_acknowledged_but_not_notified()
    {
        var table = new DeviceTable(2, trackNotifications: true);
        table.Set(0, DeviceFlags.Subscribed);
        table.RecordAcked(0, 1);
        table.RecordAcked(0, 2);
        table.RecordAcked(0, 3);
        table.RecordAcked(1, 1); // not subscribed: expects nothing

        var first = table.RecordNotified(0, 1);
        var repeat = table.RecordNotified(0, 1);
        var second = table.RecordNotified(0, 2);

        Assert.True(first);
        Assert.False(repeat);
        Assert.True(second);
        Assert.Equal(2, table.Notified(0));
        Assert.Equal(1, table.MissingNotifications());
        Assert.Equal(3, table.SumAcked(DeviceFlags.Subscribed));
    }
}
