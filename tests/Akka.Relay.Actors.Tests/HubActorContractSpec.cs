using Akka.Actor;
using Akka.Relay.Actors.Hub;
using Akka.Relay.Testing.Hub;
using Xunit.Abstractions;

namespace Akka.Relay.Actors.Tests;

/// <summary>The hub contract against the hub of a single node, which is its own per-user directory.</summary>
public sealed class HubActorContractSpec : HubContractSpec
{
    public HubActorContractSpec(ITestOutputHelper output)
        : base(null, output)
    {
    }

    /// <inheritdoc />
    protected override Task<IActorRef> CreateHubAsync(int maxSessionsPerUser = 8) =>
        Task.FromResult(Sys.ActorOf(HubActor.GetProps(new HubSettings(maxSessionsPerUser)), HubActorBase.Name));
}
