using VirtualIoT.Tests.Infrastructure;
using static VirtualIoT.Tests.Mqtt.MqttNotificationTests;

namespace VirtualIoT.Tests.Mqtt;

/// <summary>
/// A device that does not answer its notification must not hold up notifications to other devices on the same
/// gateway. Here a device may take three minutes to answer (<see cref="PatientMqttNotificationFixture"/>), far longer
/// than the test waits (30 s): had the gateway waited for the silent device, the other device's notification would not
/// arrive in time. No time is measured.
/// </summary>
public sealed class MqttSilentDeviceTests(PatientMqttNotificationFixture fixture) : IClassFixture<PatientMqttNotificationFixture>
{
    [Fact]
    public async Task Silent_device_does_not_hold_up_notifications_to_other_devices_on_the_same_gateway()
    {
        var silentId = MqttBindingTests.NewAeId();
        var silentTopic = NotificationTopic(silentId);
        var otherId = MqttBindingTests.NewAeId();
        var otherTopic = NotificationTopic(otherId);
        await using var silent = await DeviceAsync(fixture.ConnectAsync, silentId, silentTopic);
        await using var other = await DeviceAsync(fixture.ConnectAsync, otherId, otherTopic);
        await SubscribeAsync(silent, silentId);
        await SubscribeAsync(other, otherId);

        await CreateInstanceAsync(fixture, silentId);
        var silentNotification = await silent.WaitForAsync(m => IsEvent(m, silentTopic), "the silent device's notification");
        await CreateInstanceAsync(fixture, otherId);
        var notification = await other.WaitForAsync(m => IsEvent(m, otherTopic), "the other device's notification while the silent one is still awaited",
            timeout: TimeSpan.FromSeconds(30));
        await AnswerAsync(other, otherId, Rqi(notification));

        await AssertDeliveredAsync(fixture, otherId);
        var stillAwaited = await fixture.Http.Retrieve($"/cse-in/{silentId}/temp/watch", OneM2MClient.Admin);
        Assert.True(stillAwaited.Rsc == 2000, $"the silent device's subscription should still wait for its answer: {stillAwaited.Rsc}");

        // The silent device answers at last: nothing is left waiting when the platform stops (its shutdown would
        // otherwise be cut short while the notification waits for its three minutes).
        await AnswerAsync(silent, silentId, Rqi(silentNotification));
        await AssertDeliveredAsync(fixture, silentId);
    }
}
