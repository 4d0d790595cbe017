using Akka.Relay.Testing.Server;

namespace Akka.Relay.Client.Tests.Infrastructure;

/// <summary>A SQLite inbox store of its own for a test's servers (protocol 1.1 on a single node), deleted at the end.</summary>
public sealed class InboxFile : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("relay-client-inbox-").FullName;

    /// <summary>The connection string of the store file.</summary>
    public string ConnectionString => "Data Source=" + Path.Combine(_directory, "inbox.db");

    /// <summary>Starts a server on this store; more settings as an operator would give them.</summary>
    public Task<RelayServer> StartServerAsync(params (string Key, string Value)[] settings) =>
        RelayServer.StartAsync([("Relay:Inbox:ConnectionString", ConnectionString), .. settings]);

    public void Dispose()
    {
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
            // SQLite may still hold the file for a moment; the temp folder is cleaned by the system.
        }
    }
}
