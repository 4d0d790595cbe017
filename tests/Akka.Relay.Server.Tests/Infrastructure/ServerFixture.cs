using Akka.Relay.Testing.Server;

namespace Akka.Relay.Server.Tests.Infrastructure;

/// <summary>One server with default settings, shared by the tests of a class (they run one after another).</summary>
public sealed class ServerFixture : IAsyncLifetime
{
    private RelayServer? _server;

    /// <summary>The running server.</summary>
    public RelayServer Server => _server ?? throw new InvalidOperationException("not started");

    /// <inheritdoc />
    public async Task InitializeAsync() => _server = await RelayServer.StartAsync();

    /// <inheritdoc />
    public async Task DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }
}
