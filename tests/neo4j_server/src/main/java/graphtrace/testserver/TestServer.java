package graphtrace.testserver;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

import org.neo4j.configuration.GraphDatabaseInternalSettings;
import org.neo4j.configuration.GraphDatabaseSettings;
import org.neo4j.configuration.connectors.BoltConnector;
import org.neo4j.configuration.helpers.SocketAddress;
import org.neo4j.dbms.api.DatabaseManagementService;
import org.neo4j.dbms.api.DatabaseManagementServiceBuilder;
import org.neo4j.graphdb.GraphDatabaseService;
import org.neo4j.io.ByteUnit;

/**
 * A real Neo4j Community 5.26 DBMS, embedded in this JVM, with the Bolt connector on a loopback port and
 * authentication off: the server the graphtrace Python tests talk to (launched by tests/neo4jserver.py).
 *
 * <pre>
 * java [flags] -cp "target/classes:target/lib/*" graphtrace.testserver.TestServer PORT WORKDIR
 *      [--keep] [--parent-pid PID] [--pagecache-mb N] [-c neo4j.setting=value ...]
 * </pre>
 *
 * Prints {@code READY bolt://127.0.0.1:PORT} on stdout once {@code RETURN 1} has run on the default database
 * and a Bolt handshake on the port has succeeded. SIGTERM/SIGINT shut the DBMS down cleanly and then delete
 * WORKDIR unless {@code --keep} is given (keep it to restart on the same store, e.g. after a crash test).
 * With {@code --parent-pid}, the server stops itself when that process is gone, so no JVM outlives a
 * killed test run.
 */
public final class TestServer {

    private static final String HOST = "127.0.0.1";

    private TestServer() {}

    public static void main(String[] args) throws Exception {
        if (args.length < 2) {
            System.err.println("usage: TestServer PORT WORKDIR [--keep] [--parent-pid PID] [--pagecache-mb N]"
                    + " [-c setting=value ...]");
            System.exit(2);
        }
        int port = Integer.parseInt(args[0]);
        Path workDir = Paths.get(args[1]).toAbsolutePath();
        boolean keep = false;
        long parentPid = -1;
        long pagecacheMb = 256;
        Map<String, String> raw = new LinkedHashMap<>();
        for (int i = 2; i < args.length; i++) {
            switch (args[i]) {
                case "--keep" -> keep = true;
                case "--parent-pid" -> parentPid = Long.parseLong(args[++i]);
                case "--pagecache-mb" -> pagecacheMb = Long.parseLong(args[++i]);
                case "-c" -> {
                    String kv = args[++i];
                    int eq = kv.indexOf('=');
                    if (eq <= 0) {
                        throw new IllegalArgumentException("-c expects setting=value, got: " + kv);
                    }
                    raw.put(kv.substring(0, eq), kv.substring(eq + 1));
                }
                default -> throw new IllegalArgumentException("unknown argument: " + args[i]);
            }
        }

        Files.createDirectories(workDir);
        long t0 = System.nanoTime();
        log("starting Neo4j in " + workDir + " (bolt " + HOST + ":" + port + ")");

        DatabaseManagementServiceBuilder builder = new DatabaseManagementServiceBuilder(workDir)
                .setConfig(BoltConnector.enabled, true)
                .setConfig(BoltConnector.listen_address, new SocketAddress(HOST, port))
                .setConfig(BoltConnector.advertised_address, new SocketAddress(HOST, port))
                .setConfig(BoltConnector.encryption_level, BoltConnector.EncryptionLevel.DISABLED)
                .setConfig(GraphDatabaseSettings.auth_enabled, false)
                .setConfig(GraphDatabaseSettings.pagecache_memory, ByteUnit.mebiBytes(pagecacheMb))
                // Test stores are throw-away: don't preallocate 250 MB transaction log files.
                .setConfig(GraphDatabaseSettings.preallocate_logical_logs, false)
                // Never phone home (usage data collection); this machine may only talk to loopback.
                .setConfig(GraphDatabaseSettings.udc_enabled, false)
                .setConfig(GraphDatabaseInternalSettings.udc_network_enabled, false)
                // Netty's graceful shutdown waits a 5 s quiet period per Bolt connector: skip it.
                .setConfig(GraphDatabaseInternalSettings.netty_server_shutdown_quiet_period, 0)
                .setConfig(GraphDatabaseInternalSettings.netty_server_shutdown_timeout, Duration.ofSeconds(3));
        if (!raw.isEmpty()) {
            // Extra settings by name (e.g. db.transaction.timeout=10s), applied after the defaults above.
            Path conf = workDir.resolve("graphtrace-extra.conf");
            StringBuilder text = new StringBuilder();
            raw.forEach((k, v) -> text.append(k).append('=').append(v).append('\n'));
            Files.writeString(conf, text.toString());
            builder.loadPropertiesFromFile(conf);
        }

        final DatabaseManagementService dbms = builder.build();
        final boolean keepFinal = keep;
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            log("shutting down");
            try {
                dbms.shutdown();
            } catch (Throwable t) {
                log("shutdown failed: " + t);
            }
            if (!keepFinal) {
                try {
                    deleteRecursively(workDir);
                } catch (IOException e) {
                    log("could not delete " + workDir + ": " + e);
                }
            }
            log("stopped");
            System.out.flush();
        }, "graphtrace-test-server-shutdown"));

        GraphDatabaseService db = dbms.database(GraphDatabaseSettings.DEFAULT_DATABASE_NAME);
        Object one = db.executeTransactionally("RETURN 1 AS one", Map.of(),
                result -> result.hasNext() ? result.next().get("one") : null);
        if (one == null || ((Number) one).longValue() != 1L) {
            throw new IllegalStateException("RETURN 1 returned " + one);
        }
        boltHandshake(port);

        if (parentPid > 0) {
            startParentWatchdog(parentPid);
        }
        long ms = (System.nanoTime() - t0) / 1_000_000;
        log("Neo4j " + neo4jVersion(db) + " up in " + ms + " ms");
        System.out.println("READY bolt://" + HOST + ":" + port);
        System.out.flush();

        // The DBMS runs on its own (non-daemon) threads; keep main alive until the JVM is asked to stop.
        Thread.currentThread().join();
    }

    /** Bolt handshake: magic preamble, then offer 5.0-5.8 and 4.4; a non-zero answer means Bolt is serving. */
    private static void boltHandshake(int port) throws IOException {
        IOException last = null;
        for (int attempt = 0; attempt < 100; attempt++) {
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress(HOST, port), 2000);
                s.setSoTimeout(10000);
                OutputStream out = s.getOutputStream();
                out.write(new byte[] {
                    0x60, 0x60, (byte) 0xB0, 0x17,
                    0, 8, 8, 5,
                    0, 0, 4, 4,
                    0, 0, 0, 0,
                    0, 0, 0, 0});
                out.flush();
                InputStream in = s.getInputStream();
                byte[] answer = in.readNBytes(4);
                if (answer.length == 4 && (answer[2] != 0 || answer[3] != 0)) {
                    log("bolt handshake ok: version " + answer[3] + "." + answer[2]);
                    return;
                }
                last = new IOException("bolt handshake refused: " + java.util.Arrays.toString(answer));
            } catch (IOException e) {
                last = e;
            }
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        throw new IOException("Bolt is not answering on " + HOST + ":" + port, last);
    }

    private static String neo4jVersion(GraphDatabaseService db) {
        try {
            return db.executeTransactionally("CALL dbms.components() YIELD versions RETURN versions[0] AS v",
                    Map.of(), r -> r.hasNext() ? String.valueOf(r.next().get("v")) : "?");
        } catch (RuntimeException e) {
            return "?";
        }
    }

    private static void startParentWatchdog(long parentPid) {
        Thread t = new Thread(() -> {
            Optional<ProcessHandle> parent = ProcessHandle.of(parentPid);
            while (parent.isPresent() && parent.get().isAlive()) {
                try {
                    Thread.sleep(1000);
                } catch (InterruptedException e) {
                    return;
                }
            }
            log("parent process " + parentPid + " is gone; exiting");
            System.exit(0); // runs the shutdown hook
        }, "graphtrace-test-server-watchdog");
        t.setDaemon(true);
        t.start();
    }

    private static void deleteRecursively(Path root) throws IOException {
        if (!Files.exists(root)) {
            return;
        }
        Files.walkFileTree(root, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                Files.deleteIfExists(file);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFileFailed(Path file, IOException exc) throws IOException {
                if (exc instanceof NoSuchFileException) {
                    return FileVisitResult.CONTINUE;
                }
                throw exc;
            }

            @Override
            public FileVisitResult postVisitDirectory(Path dir, IOException exc) throws IOException {
                Files.deleteIfExists(dir);
                return FileVisitResult.CONTINUE;
            }
        });
    }

    private static void log(String msg) {
        System.out.println("[graphtrace-test-server] " + msg);
        System.out.flush();
    }
}
