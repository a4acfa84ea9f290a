/**
 * The dock's HTTP front (private): the public port opened at readiness, the readiness check, and
 * the headers and the 503 every answer gets before any servlet is chosen.
 */
package datastore.http;
