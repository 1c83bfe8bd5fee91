//! The server images ztpath knows, and the variables with which each is given its own
//! credential (a database root password, a Redis password).

use crate::discover::names::normalise;

/// A variable that configures a server's own credential.
pub struct ServerVariable {
    /// The variable, normalised (upper case, `_`).
    pub name: &'static str,
    /// What it is, for messages.
    pub what: &'static str,
    /// Images (last path segment, without tag) of the server that reads it.
    pub images: &'static [&'static str],
    /// The server's usual port.
    pub port: u32,
    /// The account it protects when the variable says so by itself (`root` for
    /// `MYSQL_ROOT_PASSWORD`), or the server's default account when no user variable is set.
    pub account: Option<&'static str>,
    /// Only the server reads it (clients use other names).
    pub server_only: bool,
}

const MYSQL: &[&str] = &["mysql", "mysql-server", "mariadb", "percona", "percona-server"];

const POSTGRES: &[&str] =
    &["postgres", "postgresql", "postgis", "timescaledb", "timescaledb-ha", "postgresql-repmgr"];

const MONGO: &[&str] = &["mongo", "mongodb"];

const REDIS: &[&str] = &["redis", "redis-cluster", "redis-stack", "redis-stack-server", "valkey"];

/// The server-side variables: the official images' (MySQL, MariaDB, PostgreSQL, MongoDB,
/// RabbitMQ, MinIO, Elasticsearch, Grafana, Keycloak) and Bitnami's (`POSTGRESQL_*`,
/// `MONGODB_ROOT_PASSWORD`, `REDIS_PASSWORD`). Names that clients commonly use as well
/// (`MYSQL_PASSWORD`, `POSTGRES_PASSWORD`, `REDIS_PASSWORD`, `ELASTIC_PASSWORD`, `MINIO_SECRET_KEY`)
/// count only in the server's image or on its port.
pub const SERVER_VARIABLES: &[ServerVariable] = &[
    ServerVariable {
        name: "MYSQL_ROOT_PASSWORD",
        what: "the MySQL root password",
        images: MYSQL,
        port: 3306,
        account: Some("root"),
        server_only: true,
    },
    ServerVariable {
        name: "MYSQL_PASSWORD",
        what: "the password of the MySQL user it creates",
        images: MYSQL,
        port: 3306,
        account: None,
        server_only: false,
    },
    ServerVariable {
        name: "MARIADB_ROOT_PASSWORD",
        what: "the MariaDB root password",
        images: MYSQL,
        port: 3306,
        account: Some("root"),
        server_only: true,
    },
    ServerVariable {
        name: "MARIADB_PASSWORD",
        what: "the password of the MariaDB user it creates",
        images: MYSQL,
        port: 3306,
        account: None,
        server_only: false,
    },
    ServerVariable {
        name: "POSTGRES_PASSWORD",
        what: "the PostgreSQL superuser password",
        images: POSTGRES,
        port: 5432,
        account: Some("postgres"),
        server_only: false,
    },
    ServerVariable {
        name: "POSTGRESQL_PASSWORD",
        what: "the PostgreSQL user password",
        images: POSTGRES,
        port: 5432,
        account: Some("postgres"),
        server_only: false,
    },
    ServerVariable {
        name: "POSTGRESQL_POSTGRES_PASSWORD",
        what: "the PostgreSQL superuser password",
        images: POSTGRES,
        port: 5432,
        account: Some("postgres"),
        server_only: true,
    },
    ServerVariable {
        name: "MONGO_INITDB_ROOT_PASSWORD",
        what: "the MongoDB root password",
        images: MONGO,
        port: 27017,
        account: None,
        server_only: true,
    },
    ServerVariable {
        name: "MONGODB_ROOT_PASSWORD",
        what: "the MongoDB root password",
        images: MONGO,
        port: 27017,
        account: Some("root"),
        server_only: true,
    },
    ServerVariable {
        name: "REDIS_PASSWORD",
        what: "the Redis password",
        images: REDIS,
        port: 6379,
        account: None,
        server_only: false,
    },
    ServerVariable {
        name: "RABBITMQ_DEFAULT_PASS",
        what: "the RabbitMQ default user's password",
        images: &["rabbitmq"],
        port: 5672,
        account: Some("guest"),
        server_only: true,
    },
    ServerVariable {
        name: "MINIO_ROOT_PASSWORD",
        what: "the MinIO root password",
        images: &["minio"],
        port: 9000,
        account: None,
        server_only: true,
    },
    ServerVariable {
        name: "MINIO_SECRET_KEY",
        what: "the MinIO root secret key",
        images: &["minio"],
        port: 9000,
        account: None,
        server_only: false,
    },
    ServerVariable {
        name: "ELASTIC_PASSWORD",
        what: "the Elasticsearch `elastic` user's password",
        images: &["elasticsearch"],
        port: 9200,
        account: Some("elastic"),
        server_only: false,
    },
    ServerVariable {
        name: "GF_SECURITY_ADMIN_PASSWORD",
        what: "the Grafana admin password",
        images: &["grafana", "grafana-oss", "grafana-enterprise"],
        port: 3000,
        account: Some("admin"),
        server_only: true,
    },
    ServerVariable {
        name: "KEYCLOAK_ADMIN_PASSWORD",
        what: "the Keycloak admin password",
        images: &["keycloak"],
        port: 8080,
        account: None,
        server_only: true,
    },
    ServerVariable {
        name: "KC_BOOTSTRAP_ADMIN_PASSWORD",
        what: "the Keycloak admin password",
        images: &["keycloak"],
        port: 8080,
        account: None,
        server_only: true,
    },
];

/// The account a server variable protects by itself, if any (see [`ServerVariable::account`]).
pub fn implied_user(name: &str) -> Option<&'static str> {
    let n = normalise(name);
    SERVER_VARIABLES.iter().find(|v| v.name == n).and_then(|v| v.account)
}
