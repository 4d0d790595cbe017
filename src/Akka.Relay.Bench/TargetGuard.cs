using System.Net;

namespace Akka.Relay.Bench;

/// <summary>Refuses targets and source addresses outside the loopback range unless <c>--allow-remote</c> was given.</summary>
public static class TargetGuard
{
    /// <summary>Throws <see cref="UsageException"/> for any non-loopback URL host or bind address.</summary>
    public static async Task CheckAsync(BenchOptions options)
    {
        if (options.AllowRemote)
        {
            return;
        }

        foreach (var url in options.Urls)
        {
            var addresses = IPAddress.TryParse(url.IdnHost.Trim('[', ']'), out var literal)
                ? [literal]
                : await ResolveAsync(url.IdnHost).ConfigureAwait(false);
            if (addresses.Length == 0 || !addresses.All(IPAddress.IsLoopback))
            {
                throw new UsageException($"{url} is not a loopback address (127.0.0.0/8, ::1); pass --allow-remote to target it");
            }
        }

        foreach (var source in options.BindAddresses)
        {
            if (!IPAddress.IsLoopback(source))
            {
                throw new UsageException($"--bind {source} is not a loopback address; pass --allow-remote to use it");
            }
        }
    }

    private static async Task<IPAddress[]> ResolveAsync(string host)
    {
        try
        {
            return await Dns.GetHostAddressesAsync(host).ConfigureAwait(false);
        }
        catch (System.Net.Sockets.SocketException)
        {
            return [];
        }
    }
}
