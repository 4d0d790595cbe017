// Starts the real relay server (the built Akka.Relay.Server) as a process on a free port of 127.0.0.1, configured
// the way an operator would (command-line settings), and stops it with SIGTERM (a graceful drain: 1001).
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { createServer } from "node:net";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const dll = join(root, "src", "Akka.Relay.Server", "bin", "Debug", "net10.0", "Akka.Relay.Server.dll");

export function freePort() {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
}

export async function startServer(port, settings = {}) {
  if (!existsSync(dll)) {
    throw new Error(`build the server first: dotnet build src/Akka.Relay.Server (${dll} is missing)`);
  }
  const args = [dll, `--urls=http://127.0.0.1:${port}`, "--Relay:DrainSpread=00:00:00"];
  for (const [key, value] of Object.entries(settings)) args.push(`--${key}=${value}`);
  const child = spawn("dotnet", args, { cwd: join(root, "src", "Akka.Relay.Server"), stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout.on("data", (d) => (output += d));
  child.stderr.on("data", (d) => (output += d));
  const exited = new Promise((resolve) => child.once("exit", resolve));
  const base = `http://127.0.0.1:${port}`;
  // Ready when /readyz answers 200 (the hub is started): polled with a bound, not slept on.
  const deadline = Date.now() + 90_000;
  while (true) {
    if (child.exitCode !== null) throw new Error(`the server exited with ${child.exitCode}:\n${output}`);
    try {
      const response = await fetch(`${base}/readyz`);
      if (response.status === 200) break;
    } catch {
      // Not listening yet.
    }
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`the server was not ready within 90 s:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url: `ws://127.0.0.1:${port}`,
    port,
    async stop() {
      if (child.exitCode === null) child.kill("SIGTERM");
      await exited;
    },
  };
}
