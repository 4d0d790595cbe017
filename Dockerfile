# Multi-stage build of the relay server: only the server and the three libraries it
# references (Protocol, Actors, Cluster) are restored and published; tests and tools stay
# out of the image.
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
# Project files first: the restore layer stays cached until a project or package changes.
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
# Inside a container the server listens on port 8080 of every interface (the official
# images set the same; stated here so the image does not depend on it). Compose files
# and `docker run -e` override it: ASPNETCORE_HTTP_PORTS, or ASPNETCORE_URLS to bind
# one address.
ENV ASPNETCORE_HTTP_PORTS=8080
# 8080: WebSocket clients and /healthz, /readyz. 4053: the cluster transport between
# nodes (only when Relay__Cluster__Enabled=true).
EXPOSE 8080 4053
# The inbox's embedded SQLite store (single node) needs a directory the app user may write;
# mount a volume at /data to keep it across containers. A cluster uses PostgreSQL instead.
RUN mkdir -p /data && chown 1654 /data
ENV Relay__Inbox__ConnectionString="Data Source=/data/relay-inbox.db"
# 1654 is the non-root "app" user of the official .NET images.
USER 1654
ENTRYPOINT ["dotnet", "Akka.Relay.Server.dll"]
