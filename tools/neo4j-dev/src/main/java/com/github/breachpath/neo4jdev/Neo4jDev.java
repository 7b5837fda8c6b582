package com.github.breachpath.neo4jdev;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import org.neo4j.configuration.GraphDatabaseInternalSettings;
import org.neo4j.configuration.GraphDatabaseSettings;
import org.neo4j.configuration.connectors.BoltConnector;
import org.neo4j.configuration.connectors.HttpConnector;
import org.neo4j.configuration.connectors.HttpsConnector;
import org.neo4j.configuration.helpers.SocketAddress;
import org.neo4j.dbms.api.DatabaseManagementService;
import org.neo4j.dbms.api.DatabaseManagementServiceBuilder;
import org.neo4j.io.ByteUnit;
import org.neo4j.logging.Level;
import org.neo4j.logging.log4j.Log4jLogProvider;

/**
 * Runs an embedded Neo4j 5 Community DBMS with only the Bolt connector, on 127.0.0.1, for
 * breachpath development and tests. Started and stopped by scripts/neo4j-dev.sh.
 *
 * <p>Usage: {@code Neo4jDev <home-dir> <bolt-port> [ready-file]}. Environment:
 * BREACHPATH_NEO4J_PASSWORD (set: auth on, user "neo4j" gets this password; unset/empty: auth
 * off), BREACHPATH_NEO4J_PAGECACHE (default 128m), BREACHPATH_NEO4J_CONF (optional extra
 * neo4j.conf-style settings file).
 */
public final class Neo4jDev {
  private static final String HOST = "127.0.0.1";

  public static void main(String[] args) throws Exception {
    if (args.length < 2 || args.length > 3) {
      System.err.println("usage: Neo4jDev <home-dir> <bolt-port> [ready-file]");
      System.exit(2);
    }
    Path home = Path.of(args[0]).toAbsolutePath();
    int port = Integer.parseInt(args[1]);
    Path ready = args.length == 3 ? Path.of(args[2]).toAbsolutePath() : null;
    String password = System.getenv().getOrDefault("BREACHPATH_NEO4J_PASSWORD", "");
    boolean auth = !password.isEmpty();
    String pagecache = System.getenv().getOrDefault("BREACHPATH_NEO4J_PAGECACHE", "128m");
    String extraConf = System.getenv().getOrDefault("BREACHPATH_NEO4J_CONF", "");

    if (ready != null) {
      Files.deleteIfExists(ready);
    }
    Files.createDirectories(home);

    DatabaseManagementServiceBuilder builder =
        new DatabaseManagementServiceBuilder(home)
            // The user log is what neo4j.log holds in a server install; stdout goes to the
            // script's log file.
            .setUserLogProvider(new Log4jLogProvider(System.out, Level.INFO));
    if (!extraConf.isEmpty()) {
      builder.loadPropertiesFromFile(Path.of(extraConf));
    }
    builder
        .setConfig(BoltConnector.enabled, true)
        .setConfig(BoltConnector.listen_address, new SocketAddress(HOST, port))
        .setConfig(BoltConnector.advertised_address, new SocketAddress(HOST, port))
        .setConfig(BoltConnector.encryption_level, BoltConnector.EncryptionLevel.DISABLED)
        // Netty's default graceful-shutdown quiet period made every stop take ~10 s; a dev
        // instance has no in-flight clients worth waiting for. (Internal setting.)
        .setConfig(GraphDatabaseInternalSettings.netty_server_shutdown_quiet_period, 0)
        .setConfig(HttpConnector.enabled, false)
        .setConfig(HttpsConnector.enabled, false)
        .setConfig(GraphDatabaseSettings.default_listen_address, new SocketAddress(HOST))
        .setConfig(GraphDatabaseSettings.auth_enabled, auth)
        // No usage reports ("udc") to neo4j.com: dev/test machines must not phone home.
        .setConfig(GraphDatabaseSettings.udc_enabled, false)
        // Without this the page cache is sized from machine RAM; this box is shared with
        // the Go test suite.
        .setConfig(GraphDatabaseSettings.pagecache_memory, ByteUnit.parse(pagecache))
        // Bound transaction-log disk use of a dev store that tests load and wipe repeatedly.
        .setConfig(GraphDatabaseSettings.keep_logical_logs, "100M size");

    long t0 = System.nanoTime();
    DatabaseManagementService dbms;
    try {
      dbms = builder.build();
    } catch (RuntimeException e) {
      // e.g. port taken or store locked: exit so the script sees the failure at once
      // instead of a JVM kept alive by leftover non-daemon threads.
      e.printStackTrace();
      System.exit(1);
      return;
    }
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  // SIGTERM/SIGINT: shut the DBMS down cleanly (checkpoint, release store
                  // locks) so the next start needs no recovery.
                  long s0 = System.nanoTime();
                  System.out.println("neo4j-dev: shutting down");
                  try {
                    if (ready != null) {
                      Files.deleteIfExists(ready);
                    }
                  } catch (IOException ignored) {
                    // best effort: the script checks the process, not only this file
                  }
                  dbms.shutdown();
                  System.out.printf(
                      "neo4j-dev: stopped (%d ms)%n", (System.nanoTime() - s0) / 1_000_000);
                  System.out.flush();
                  stopped.countDown();
                },
                "neo4j-dev-shutdown"));

    try {
      if (auth) {
        // Community has a single user; set its password on every start so the env var is the
        // source of truth and the "change required" flag of the default password is cleared.
        dbms.database(GraphDatabaseSettings.SYSTEM_DATABASE_NAME)
            .executeTransactionally(
                "ALTER USER neo4j SET PASSWORD $password CHANGE NOT REQUIRED",
                Map.of("password", password));
      }
      // Fail fast if the default database is not usable.
      dbms.database(GraphDatabaseSettings.DEFAULT_DATABASE_NAME).executeTransactionally("RETURN 1");

      if (ready != null) {
        Files.writeString(ready, "bolt://" + HOST + ":" + port + "\n");
      }
      System.out.printf(
          "neo4j-dev: ready bolt://%s:%d auth=%s home=%s (%d ms)%n",
          HOST, port, auth ? "on" : "off", home, (System.nanoTime() - t0) / 1_000_000);
    } catch (RuntimeException | IOException e) {
      // e.g. a password shorter than the minimum: the shutdown hook stops the DBMS cleanly.
      e.printStackTrace();
      System.exit(1);
    }
    System.out.flush();
    stopped.await();
  }

  private Neo4jDev() {}
}
