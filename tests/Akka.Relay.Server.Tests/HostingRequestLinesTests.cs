using Akka.Relay.Server.Logging;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;

namespace Akka.Relay.Server.Tests;

/// <summary>ASP.NET's per-request category is switched off only when its configured level would print none of its lines.</summary>
public sealed class HostingRequestLinesTests
{
    [Theory]
    [InlineData(null, null, "Warning", LogLevel.Warning)]
    [InlineData("Information", null, "Warning", LogLevel.Information)]
    [InlineData(null, "Debug", null, LogLevel.Debug)]
    [InlineData(null, null, null, LogLevel.Information)]
    [InlineData("None", "Trace", "Trace", LogLevel.None)]
    public void The_category_takes_its_own_level_else_the_closest_parent_s_else_Default(string? own, string? aspNetCore, string? @default, LogLevel expected)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Logging:LogLevel:Microsoft.AspNetCore.Hosting.Diagnostics"] = own,
            ["Logging:LogLevel:Microsoft.AspNetCore"] = aspNetCore,
            ["Logging:LogLevel:Default"] = @default,
        };
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings.Where(s => s.Value is not null)).Build();

        Assert.Equal(expected, HostingRequestLines.ConfiguredLevel(configuration));
    }

    [Fact]
    public void With_the_shipped_settings_the_category_is_off_and_asking_for_its_lines_brings_them_back()
    {
        var shipped = new ConfigurationBuilder().AddJsonFile(Path.Combine(AppContext.BaseDirectory, "appsettings.json")).Build();
        Assert.True(HostingRequestLines.ConfiguredLevel(shipped) >= LogLevel.Warning);

        var asked = new ConfigurationBuilder()
            .AddConfiguration(shipped)
            .AddInMemoryCollection([new("Logging:LogLevel:Microsoft.AspNetCore", "Debug")])
            .Build();
        Assert.Equal(LogLevel.Debug, HostingRequestLines.ConfiguredLevel(asked));
    }
}
