#include <curl/curl.h>

// curl_easy_setopt / curl_easy_getinfo are variadic and cannot be called from Swift.
static inline CURLcode runledger_curl_set_long(CURL *h, CURLoption o, long v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode runledger_curl_set_string(CURL *h, CURLoption o, const char *v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode runledger_curl_set_pointer(CURL *h, CURLoption o, void *v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode runledger_curl_get_long(CURL *h, CURLINFO i, long *v) { return curl_easy_getinfo(h, i, v); }

typedef size_t (*runledger_curl_callback)(char *data, size_t size, size_t count, void *user);
static inline CURLcode runledger_curl_set_callback(CURL *h, CURLoption o, runledger_curl_callback f) {
    return curl_easy_setopt(h, o, f);
}
static inline CURLcode runledger_curl_set_slist(CURL *h, CURLoption o, struct curl_slist *l) { return curl_easy_setopt(h, o, l); }
static inline CURLcode runledger_curl_set_size(CURL *h, CURLoption o, curl_off_t v) { return curl_easy_setopt(h, o, v); }
