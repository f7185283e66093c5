/* curl_impl: what io's libcurl users share (io/ only). */
#ifndef SW_CURL_IMPL_H
#define SW_CURL_IMPL_H

#include <curl/curl.h>

/* A transfer that failed for a reason a retry may not meet again: timeouts,
 * refused or dropped connections, name resolution, truncated replies. */
static inline int sw__curl_retryable(CURLcode c)
{
    switch (c) {
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_COULDNT_CONNECT:
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_PARTIAL_FILE:
    case CURLE_RECV_ERROR:
    case CURLE_SEND_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
        return 1;
    default:
        return 0;
    }
}

#endif
