package datastore.devapi;

import java.util.List;

/**
 * A request the development API refuses: the HTTP status and one error per problem, each detail
 * naming the offending field. Thrown before anything is changed, and turned into the protocol's
 * {@code {"errors": [{"status", "title", "detail"}]}} body.
 */
final class ApiException extends Exception {
    private static final long serialVersionUID = 1L;

    static final int BAD_REQUEST = 400;
    static final int UNAUTHORIZED = 401;
    static final int FORBIDDEN = 403;
    static final int NOT_FOUND = 404;
    static final int METHOD_NOT_ALLOWED = 405;
    static final int CONFLICT = 409;
    static final int PAYLOAD_TOO_LARGE = 413;
    static final int UNSUPPORTED_MEDIA_TYPE = 415;
    static final int INTERNAL_ERROR = 500;
    static final int UNAVAILABLE = 503;
    static final int INSUFFICIENT_STORAGE = 507;

    private final int status;
    private final List<String> details;

    ApiException(int status, String detail) {
        this(status, List.of(detail));
    }

    ApiException(int status, List<String> details) {
        super(String.join("; ", details));
        if (details.isEmpty()) {
            throw new IllegalArgumentException("an API error needs at least one detail");
        }
        this.status = status;
        this.details = List.copyOf(details);
    }

    int status() {
        return status;
    }

    /** One detail per problem; unmodifiable, never empty. */
    List<String> details() {
        return details;
    }

    /** The protocol's error title for a status. */
    static String title(int status) {
        switch (status) {
            case BAD_REQUEST: return "Bad Request";
            case UNAUTHORIZED: return "Unauthorized";
            case FORBIDDEN: return "Forbidden";
            case NOT_FOUND: return "Not Found";
            case METHOD_NOT_ALLOWED: return "Method Not Allowed";
            case CONFLICT: return "Conflict";
            case PAYLOAD_TOO_LARGE: return "Payload Too Large";
            case UNSUPPORTED_MEDIA_TYPE: return "Unsupported Media Type";
            case INTERNAL_ERROR: return "Internal Server Error";
            case UNAVAILABLE: return "Service Unavailable";
            case INSUFFICIENT_STORAGE: return "Insufficient Storage";
            default: return "Error " + status;
        }
    }

    static ApiException badRequest(String field, String message) {
        return new ApiException(BAD_REQUEST, field + ": " + message);
    }

    static ApiException unavailable(String what) {
        return new ApiException(UNAVAILABLE, "no " + what + " is available in this dock");
    }
}
