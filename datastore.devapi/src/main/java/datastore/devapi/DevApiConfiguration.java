package datastore.devapi;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.AttributeType;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/** Configuration of the development API (PID {@code datastore.devapi}). */
@ObjectClassDefinition(name = "Dock Datastore development API",
        description = "Credentials, dock id and limits of the DL-7450 compatible development REST API. The API and "
                + "the dev console exist only when the framework property datastore.mode is development; the HTTP "
                + "service decides the address they listen on (the dock products bind it to 127.0.0.1).")
public @interface DevApiConfiguration {

    @AttributeDefinition(name = "Dock id",
            description = "This dock's id: requests naming another dockId are answered 404 (compared ignoring case). "
                    + "Empty: an id generated on first start and kept in dev-credentials.properties in the "
                    + "datastore.data.dir folder.")
    String dock_id() default "";

    @AttributeDefinition(name = "Client id",
            description = "The clientId a login must present. Client id, client secret and enterprise id are "
                    + "configured together or not at all; when none is configured, a generated set is kept in "
                    + "dev-credentials.properties in the datastore.data.dir folder and printed once on first start.")
    String client_id() default "";

    @AttributeDefinition(name = "Client secret", type = AttributeType.PASSWORD,
            description = "The clientSecret a login must present (compared in constant time). See Client id.")
    String client_secret() default "";

    @AttributeDefinition(name = "Client secret hash",
            description = "Instead of the client secret itself: \"sha256:SALT:DIGEST\", SALT 16 to 64 random bytes and "
                    + "DIGEST the SHA-256 of SALT followed by the secret's UTF-8 bytes, both in hex. So the secret is "
                    + "never kept in clear in the configuration; ./dock --client-secret writes this form. Give the "
                    + "secret or its hash, not both.")
    String client_secret_hash() default "";

    @AttributeDefinition(name = "Enterprise id",
            description = "The enterpriseId a login must present. See Client id.")
    String enterprise_id() default "";

    @AttributeDefinition(name = "Token lifetime (s)",
            description = "How long an access token issued by a login stays valid, in seconds; 1 to 604800 (a week).",
            min = "1", max = "604800")
    long token_ttl_seconds() default 3600;

    @AttributeDefinition(name = "Largest request body (bytes)",
            description = "Requests with a larger body are answered 413 without reading the rest. The default, "
                    + "20 MiB, holds a full 13 MiB ROM store in base64 plus its JSON; 1024 to 268435456.",
            min = "1024", max = "268435456")
    long max_body_bytes() default DevApiConfiguration.DEFAULT_MAX_BODY_BYTES;

    /** 20 MiB: 13 MiB of payload is about 17.4 MiB in base64, plus the JSON around it. */
    long DEFAULT_MAX_BODY_BYTES = 20L * 1024 * 1024;
}
