# Multi-stage build of the relay server: only the server and its three libraries are
# restored and published; tests and tools stay out of the image.
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
COPY Directory.Build.props Directory.Packages.props ./
COPY src/Akka.Relay.Protocol/Akka.Relay.Protocol.csproj src/Akka.Relay.Protocol/
COPY src/Akka.Relay.Actors/Akka.Relay.Actors.csproj src/Akka.Relay.Actors/
COPY src/Akka.Relay.Cluster/Akka.Relay.Cluster.csproj src/Akka.Relay.Cluster/
COPY src/Akka.Relay.Server/Akka.Relay.Server.csproj src/Akka.Relay.Server/
RUN dotnet restore src/Akka.Relay.Server/Akka.Relay.Server.csproj
COPY hocon/ hocon/
COPY src/ src/
RUN dotnet publish src/Akka.Relay.Server/Akka.Relay.Server.csproj -c Release -o /app --no-restore

FROM mcr.microsoft.com/dotnet/aspnet:10.0
WORKDIR /app
COPY --from=build /app .
# Inside a container the server must listen on every interface, not only loopback.
ENV ASPNETCORE_URLS=http://+:8080
# 8080: WebSocket clients. 4053: the cluster transport between nodes (when clustered).
EXPOSE 8080 4053
# 1654 is the non-root "app" user of the official .NET images.
USER 1654
ENTRYPOINT ["dotnet", "Akka.Relay.Server.dll"]
