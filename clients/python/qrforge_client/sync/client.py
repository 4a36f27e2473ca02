from typing import Any, Optional, Union

from .base_client import BaseClient
from .base_model import UNSET, UnsetType
from .bulk_create_qr_codes import BulkCreateQrCodes
from .create_link import CreateLink
from .create_qr_code import CreateQrCode
from .create_webhook import CreateWebhook
from .delete_link import DeleteLink
from .enums import ImageFormat
from .get_bulk_job import GetBulkJob
from .get_link import GetLink
from .get_qr_code import GetQrCode
from .input_types import (
    BulkCreateQrCodesInput,
    CreateLinkInput,
    CreateQrCodeInput,
    CreateWebhookInput,
    LinkFilter,
    UpdateLinkInput,
)
from .list_links import ListLinks
from .update_link import UpdateLink
from .viewer import Viewer


def gql(q: str) -> str:
    return q


class Client(BaseClient):
    def viewer(self, **kwargs: Any) -> Viewer:
        query = gql("""
            query Viewer {
              viewer {
                scopes
                workspace {
                  id
                  name
                }
              }
            }
            """)
        variables: dict[str, object] = {}
        response = self.execute(
            query=query, operation_name="Viewer", variables=variables, **kwargs
        )
        data = self.get_data(response)
        return Viewer.model_validate(data)

    def get_link(
        self,
        id: Union[Optional[str], UnsetType] = UNSET,
        slug: Union[Optional[str], UnsetType] = UNSET,
        **kwargs: Any,
    ) -> GetLink:
        query = gql("""
            query GetLink($id: ID, $slug: String) {
              link(id: $id, slug: $slug) {
                ...LinkFields
              }
            }

            fragment LinkFields on Link {
              id
              slug
              shortUrl
              destination
              title
              tags
              status
              scanCount
              uniqueScanCount
              createdAt
            }
            """)
        variables: dict[str, object] = {"id": id, "slug": slug}
        response = self.execute(
            query=query, operation_name="GetLink", variables=variables, **kwargs
        )
        data = self.get_data(response)
        return GetLink.model_validate(data)

    def list_links(
        self,
        first: Union[Optional[int], UnsetType] = UNSET,
        after: Union[Optional[str], UnsetType] = UNSET,
        filter_: Union[Optional[LinkFilter], UnsetType] = UNSET,
        **kwargs: Any,
    ) -> ListLinks:
        query = gql("""
            query ListLinks($first: Int, $after: String, $filter: LinkFilter) {
              links(first: $first, after: $after, filter: $filter) {
                edges {
                  node {
                    ...LinkFields
                  }
                }
                pageInfo {
                  hasNextPage
                  endCursor
                }
              }
            }

            fragment LinkFields on Link {
              id
              slug
              shortUrl
              destination
              title
              tags
              status
              scanCount
              uniqueScanCount
              createdAt
            }
            """)
        variables: dict[str, object] = {
            "first": first,
            "after": after,
            "filter": filter_,
        }
        response = self.execute(
            query=query, operation_name="ListLinks", variables=variables, **kwargs
        )
        data = self.get_data(response)
        return ListLinks.model_validate(data)

    def create_link(self, input: CreateLinkInput, **kwargs: Any) -> CreateLink:
        query = gql("""
            mutation CreateLink($input: CreateLinkInput!) {
              createLink(input: $input) {
                link {
                  ...LinkFields
                }
                userErrors {
                  ...Problems
                }
              }
            }

            fragment LinkFields on Link {
              id
              slug
              shortUrl
              destination
              title
              tags
              status
              scanCount
              uniqueScanCount
              createdAt
            }

            fragment Problems on UserError {
              field
              message
              code
            }
            """)
        variables: dict[str, object] = {"input": input}
        response = self.execute(
            query=query, operation_name="CreateLink", variables=variables, **kwargs
        )
        data = self.get_data(response)
        return CreateLink.model_validate(data)

    def update_link(self, id: str, input: UpdateLinkInput, **kwargs: Any) -> UpdateLink:
        query = gql("""
            mutation UpdateLink($id: ID!, $input: UpdateLinkInput!) {
              updateLink(id: $id, input: $input) {
                link {
                  ...LinkFields
                }
                userErrors {
                  ...Problems
                }
              }
            }

            fragment LinkFields on Link {
              id
              slug
              shortUrl
              destination
              title
              tags
              status
              scanCount
              uniqueScanCount
              createdAt
            }

            fragment Problems on UserError {
              field
              message
              code
            }
            """)
        variables: dict[str, object] = {"id": id, "input": input}
        response = self.execute(
            query=query, operation_name="UpdateLink", variables=variables, **kwargs
        )
        data = self.get_data(response)
        return UpdateLink.model_validate(data)

    def delete_link(self, id: str, **kwargs: Any) -> DeleteLink:
        query = gql("""
            mutation DeleteLink($id: ID!) {
              deleteLink(id: $id) {
                deletedId
                userErrors {
                  ...Problems
                }
              }
            }

            fragment Problems on UserError {
              field
              message
              code
            }
            """)
        variables: dict[str, object] = {"id": id}
        response = self.execute(
            query=query, operation_name="DeleteLink", variables=variables, **kwargs
        )
        data = self.get_data(response)
        return DeleteLink.model_validate(data)

    def get_qr_code(
        self, id: str, format: ImageFormat, size: int, **kwargs: Any
    ) -> GetQrCode:
        query = gql("""
            query GetQrCode($id: ID!, $format: ImageFormat!, $size: Int!) {
              qrCode(id: $id) {
                ...QrCodeFields
                imageUrl(format: $format, size: $size)
              }
            }

            fragment LinkFields on Link {
              id
              slug
              shortUrl
              destination
              title
              tags
              status
              scanCount
              uniqueScanCount
              createdAt
            }

            fragment QrCodeFields on QrCode {
              id
              name
              kind
              dataType
              encodedText
              link {
                ...LinkFields
              }
            }
            """)
        variables: dict[str, object] = {"id": id, "format": format, "size": size}
        response = self.execute(
            query=query, operation_name="GetQrCode", variables=variables, **kwargs
        )
        data = self.get_data(response)
        return GetQrCode.model_validate(data)

    def create_qr_code(self, input: CreateQrCodeInput, **kwargs: Any) -> CreateQrCode:
        query = gql("""
            mutation CreateQrCode($input: CreateQrCodeInput!) {
              createQrCode(input: $input) {
                qrCode {
                  ...QrCodeFields
                }
                userErrors {
                  ...Problems
                }
              }
            }

            fragment LinkFields on Link {
              id
              slug
              shortUrl
              destination
              title
              tags
              status
              scanCount
              uniqueScanCount
              createdAt
            }

            fragment Problems on UserError {
              field
              message
              code
            }

            fragment QrCodeFields on QrCode {
              id
              name
              kind
              dataType
              encodedText
              link {
                ...LinkFields
              }
            }
            """)
        variables: dict[str, object] = {"input": input}
        response = self.execute(
            query=query, operation_name="CreateQrCode", variables=variables, **kwargs
        )
        data = self.get_data(response)
        return CreateQrCode.model_validate(data)

    def bulk_create_qr_codes(
        self, input: BulkCreateQrCodesInput, **kwargs: Any
    ) -> BulkCreateQrCodes:
        query = gql("""
            mutation BulkCreateQrCodes($input: BulkCreateQrCodesInput!) {
              bulkCreateQrCodes(input: $input) {
                bulkJob {
                  ...BulkJobFields
                }
                userErrors {
                  ...Problems
                }
              }
            }

            fragment BulkJobFields on BulkJob {
              id
              status
              total
              processed
              succeeded
              failed
              errors {
                index
                field
                message
                code
              }
              resultUrl
            }

            fragment Problems on UserError {
              field
              message
              code
            }
            """)
        variables: dict[str, object] = {"input": input}
        response = self.execute(
            query=query,
            operation_name="BulkCreateQrCodes",
            variables=variables,
            **kwargs,
        )
        data = self.get_data(response)
        return BulkCreateQrCodes.model_validate(data)

    def get_bulk_job(self, id: str, **kwargs: Any) -> GetBulkJob:
        query = gql("""
            query GetBulkJob($id: ID!) {
              bulkJob(id: $id) {
                ...BulkJobFields
              }
            }

            fragment BulkJobFields on BulkJob {
              id
              status
              total
              processed
              succeeded
              failed
              errors {
                index
                field
                message
                code
              }
              resultUrl
            }
            """)
        variables: dict[str, object] = {"id": id}
        response = self.execute(
            query=query, operation_name="GetBulkJob", variables=variables, **kwargs
        )
        data = self.get_data(response)
        return GetBulkJob.model_validate(data)

    def create_webhook(self, input: CreateWebhookInput, **kwargs: Any) -> CreateWebhook:
        query = gql("""
            mutation CreateWebhook($input: CreateWebhookInput!) {
              createWebhook(input: $input) {
                webhook {
                  id
                  url
                  events
                  enabled
                }
                secret
                userErrors {
                  ...Problems
                }
              }
            }

            fragment Problems on UserError {
              field
              message
              code
            }
            """)
        variables: dict[str, object] = {"input": input}
        response = self.execute(
            query=query, operation_name="CreateWebhook", variables=variables, **kwargs
        )
        data = self.get_data(response)
        return CreateWebhook.model_validate(data)
