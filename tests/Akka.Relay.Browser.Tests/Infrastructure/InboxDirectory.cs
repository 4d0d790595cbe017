using Akka.Relay.Testing.Server;

namespace Akka.Relay.Browser.Tests.Infrastructure;

/// <summary>
/// A test's own folder for the server's SQLite inbox file: the page opts every session in to the inbox, so a
/// shared file would carry one run's inboxes into the next and turn a "not online" into "stored".
/// </summary>
public sealed class InboxDirectory : IDisposable
{
    /// <summary>The folder, created empty.</summary>
    public string Path { get; } = Directory.CreateTempSubdirectory("relay-browser-").FullName;

    /// <summary>The setting that puts the inbox store in this folder.</summary>
    public (string Key, string Value) ConnectionString => ("Relay:Inbox:ConnectionString", "Data Source=" + System.IO.Path.Combine(Path, "inbox.db"));

    /// <summary>Starts a server whose inbox store is this folder's file, with the server API on (key <see cref="ApiClient.Key"/>).</summary>
    public Task<RelayServer> StartServerAsync(params (string Key, string Value)[] settings) =>
        RelayServer.StartAsync([ConnectionString, ("Relay:Api:Key", ApiClient.Key), .. settings]);

    /// <inheritdoc />
    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
            // A file still held by a pooled connection is left to the temp folder's cleanup.
        }
    }
}
